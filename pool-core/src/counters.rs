//! The counters behind [`PoolStats`]: one cache line per worker, so that workers never write
//! to a line another worker writes to.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::{JobError, PoolStats};

/// One worker's counters. Each has a single writer, the worker's task (the drop guard of an
/// aborted job runs as the task's future is dropped, after its last poll), so they are bumped
/// with a plain load and store: no locked read-modify-write on the hot path. The runtime
/// orders a task's successive polls even when they run on different threads.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerCounters {
    started: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    panicked: AtomicU64,
    timed_out: AtomicU64,
    aborted: AtomicU64,
}

impl WorkerCounters {
    pub(crate) fn started(&self) {
        bump(&self.started);
    }

    pub(crate) fn finished<O>(&self, outcome: &Result<O, JobError>) {
        let counter = match outcome {
            Ok(_) => &self.completed,
            Err(JobError::Failed(_)) => &self.failed,
            Err(JobError::Panicked(_)) => &self.panicked,
            Err(JobError::TimedOut(_)) => &self.timed_out,
            // A worker's own outcomes are the four above; aborts are counted by the drop guard
            // and hand-backs by the pool, so these two arms are never taken.
            Err(JobError::Aborted | JobError::NotStarted) => &self.aborted,
        };
        bump(counter);
    }

    pub(crate) fn aborted(&self) {
        bump(&self.aborted);
    }

    /// Adds this worker's counts to `stats`. The outcome counters are read before `started`,
    /// so that a job finishing during the read cannot make `busy` negative.
    pub(crate) fn add_to(&self, stats: &mut PoolStats) {
        let completed = self.completed.load(Relaxed);
        let failed = self.failed.load(Relaxed);
        let panicked = self.panicked.load(Relaxed);
        let timed_out = self.timed_out.load(Relaxed);
        let aborted = self.aborted.load(Relaxed);
        let started = self.started.load(Relaxed);
        let finished = completed + failed + panicked + timed_out + aborted;
        stats.started += started;
        stats.completed += completed;
        stats.failed += failed;
        stats.panicked += panicked;
        stats.timed_out += timed_out;
        stats.aborted += aborted;
        stats.busy += usize::try_from(started.saturating_sub(finished)).unwrap_or(usize::MAX);
    }
}

/// Adds one to a counter that only one task writes; readers may see it a moment late.
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed) + 1, Relaxed);
}
