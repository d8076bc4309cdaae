//! Knowing when a `submit` comes from one of the pool's own jobs, so that a job waiting for
//! room only its own pool's workers could make is told instead of hanging.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::run::job_future::polling_job_of;

/// Which workers of a pool run a job that waits in `submit` (for room in the queue, or for a
/// `max_jobs` slot) on this same pool. Counted per worker: a job with two submits pending is
/// still one worker.
#[derive(Debug)]
pub(crate) struct OwnJobsWaiting {
    pool_id: u64,
    submits_per_worker: Box<[AtomicUsize]>,
    workers_waiting: AtomicUsize,
}

/// One pending submit of a job of the pool; counted out on drop.
pub(crate) struct Waiting<'a> {
    of: &'a OwnJobsWaiting,
    worker_id: usize,
}

impl OwnJobsWaiting {
    pub(crate) fn new(pool_id: u64, workers: usize) -> Self {
        Self {
            pool_id,
            submits_per_worker: (0..workers).map(|_| AtomicUsize::new(0)).collect(),
            workers_waiting: AtomicUsize::new(0),
        }
    }

    /// How many of the pool's workers have a job waiting in `submit` now.
    pub(crate) fn workers_waiting(&self) -> usize {
        // SeqCst, as its updates: a retiring worker and a submitting job each read what the
        // other wrote (see `PoolState::own_jobs_need_a_retiring_worker`).
        self.workers_waiting.load(Ordering::SeqCst)
    }

    /// Counts the caller in if it is a job of this pool.
    pub(crate) fn enter(&self) -> Option<Waiting<'_>> {
        let (pool_id, worker_id) = polling_job_of();
        if pool_id != self.pool_id {
            return None;
        }
        let submits = &self.submits_per_worker[worker_id];
        if submits.fetch_add(1, Ordering::AcqRel) == 0 {
            self.workers_waiting.fetch_add(1, Ordering::SeqCst);
        }
        Some(Waiting {
            of: self,
            worker_id,
        })
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.of.submits_per_worker[self.worker_id].fetch_sub(1, Ordering::AcqRel) == 1 {
            self.of.workers_waiting.fetch_sub(1, Ordering::AcqRel);
        }
    }
}
