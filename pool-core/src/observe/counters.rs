//! The counters behind [`PoolStats`]: one cache line per worker, so that workers never write
//! to a line another worker writes to.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::sync::atomic::{AtomicU8, AtomicU64};

use crate::{JobError, JobErrorKind, PoolStats};

/// What a worker is doing, as [`PoolStats`] shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum WorkerState {
    /// Waiting for a job (or not running at all).
    Idle = 0,
    /// Running a job.
    Busy = 1,
    /// Done with a job, waiting for the results reader to make room for its status.
    WaitingForReader = 2,
}

/// One worker's counters. Each has a single writer, the worker's task (the drop guard of an
/// aborted job runs as the task's future is dropped, after its last poll), so they are bumped
/// with a plain load and store: no locked read-modify-write on the hot path. The runtime
/// orders a task's successive polls even when they run on different threads.
///
/// Each counter only grows, so every reader sees each of them, and any sum of them, go up and
/// never down. What the worker is doing now is its own flag, not `started - finished`: those
/// two are read at different moments, and a reader descheduled between them would see a
/// worker run hundreds of jobs at once.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerCounters {
    state: AtomicU8,
    started: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
    panicked: AtomicU64,
    timed_out: AtomicU64,
    aborted: AtomicU64,
    /// Of `aborted`, those aborted by their handle before they started.
    aborted_unstarted: AtomicU64,
}

impl WorkerCounters {
    #[inline]
    pub(crate) fn started(&self) {
        self.state.store(WorkerState::Busy as u8, Relaxed);
        bump(&self.started);
    }

    #[inline]
    pub(crate) fn finished<O>(&self, outcome: &Result<O, JobError>) {
        let counter = match outcome.as_ref().map_err(JobError::kind) {
            Ok(_) => &self.completed,
            Err(JobErrorKind::Failed) => &self.failed,
            Err(JobErrorKind::Cancelled) => &self.cancelled,
            Err(JobErrorKind::Panicked) => &self.panicked,
            Err(JobErrorKind::TimedOut) => &self.timed_out,
            // A job aborted by its handle before it started (aborts while running are counted
            // by the drop guard); hand-backs are counted by the pool, so `NotStarted` never
            // comes here.
            Err(JobErrorKind::Aborted | JobErrorKind::NotStarted) => {
                bump(&self.aborted_unstarted);
                &self.aborted
            }
        };
        bump(counter);
        self.state.store(WorkerState::Idle as u8, Relaxed);
    }

    pub(crate) fn aborted(&self) {
        bump(&self.aborted);
        self.state.store(WorkerState::Idle as u8, Relaxed);
    }

    /// Marks the worker as waiting for the results reader until the guard is dropped, which
    /// also happens if the worker is aborted while it waits.
    pub(crate) fn waiting_for_reader(&self) -> WaitingForReader<'_> {
        self.state
            .store(WorkerState::WaitingForReader as u8, Relaxed);
        WaitingForReader(self)
    }

    /// Jobs this worker took but never started, because their handle aborted them.
    pub(crate) fn aborted_unstarted(&self) -> u64 {
        self.aborted_unstarted.load(Relaxed)
    }

    /// Adds this worker's counts to `stats`.
    pub(crate) fn add_to(&self, stats: &mut PoolStats) {
        match self.state.load(Relaxed) {
            state if state == WorkerState::Busy as u8 => stats.busy += 1,
            state if state == WorkerState::WaitingForReader as u8 => {
                stats.waiting_for_reader += 1;
            }
            _ => {}
        }
        // Outcomes first, each with Acquire, and `started` after them: a job seen finished is
        // then seen started too, as its worker counted the start before the outcome (with
        // Release). Read the other way round, a weak memory model (ARM's) lets a snapshot
        // show a job finished and not started; `sync/loom_models.rs` finds that order.
        stats.completed += self.completed.load(Acquire);
        stats.failed += self.failed.load(Acquire);
        stats.cancelled += self.cancelled.load(Acquire);
        stats.panicked += self.panicked.load(Acquire);
        stats.timed_out += self.timed_out.load(Acquire);
        stats.aborted += self.aborted.load(Acquire);
        stats.started += self.started.load(Relaxed);
    }
}

/// A worker waiting for the results reader.
pub(crate) struct WaitingForReader<'a>(&'a WorkerCounters);

impl Drop for WaitingForReader<'_> {
    fn drop(&mut self) {
        self.0.state.store(WorkerState::Idle as u8, Relaxed);
    }
}

/// Adds one to a counter that only one task writes (no read-modify-write needed); readers may
/// see it a moment late.
#[inline]
fn bump(counter: &AtomicU64) {
    // Release: what this worker counted before is seen by a reader that sees this count
    // (on x86 a plain store, as Relaxed).
    counter.store(counter.load(Relaxed) + 1, Release);
}
