//! The pool's book-keeping, as the caller sees it.

use crate::Timings;

/// A snapshot of a pool's book-keeping, from [`stats`](crate::WorkerPool::stats).
///
/// While the pool runs, the numbers are read one after another (only the producers' counts of
/// `submitted` under a lock of their own), so they need not describe one single instant. Every read still holds these rules, whatever runs
/// alongside it (producers, workers, a shutdown):
///
/// - the counters (`submitted`, `started` and each outcome) never go down from one read to
///   the next;
/// - a job counted as completed, failed, cancelled, panicked or timed out is counted as
///   `started` too, in the same read;
/// - `busy + waiting_for_reader + idle == live_workers <= max_workers`, and
///   `min_workers <= workers <= max_workers`;
/// - `busy <= workers`, except while a shrink takes effect: a worker above the new size
///   finishes the job it holds, then retires (it takes no other), so `busy` comes down to the
///   new size as those jobs end;
/// - `submitted` counts accepted jobs only: not a job refused as full or closed, nor one whose
///   `submit` is still waiting for room. It may trail `started` for a moment, by the jobs whose
///   `submit` has queued them but not yet returned.
///
/// Once the pool has stopped (the shutdown returned its report) the numbers are final, and
///
/// ```text
/// submitted = completed + failed + cancelled + panicked + timed_out + aborted + not_started
/// ```
///
/// # Examples
///
/// ```
/// use pool_tokio::WorkerPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<()>::builder().workers(8).build()?;
/// let stats = pool.stats();
/// println!("{} busy, {} idle, {} queued", stats.busy, stats.idle, stats.queued);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct PoolStats {
    /// The pool's size now: at most this many workers take jobs. Its `workers` setting,
    /// changed by [`resize`](crate::WorkerPool::resize). An elastic pool grows up to it.
    pub workers: usize,
    /// Worker tasks alive now: `workers` for a fixed pool once started; between
    /// `min_workers` and `workers` for an elastic one; above `workers` for a moment after a
    /// shrink, while the workers it retires finish their jobs.
    pub live_workers: usize,
    /// The fewest workers an elastic pool keeps alive (its `min_workers`, or its size if that
    /// is lower); equal to `workers` for a pool that is not elastic.
    pub min_workers: usize,
    /// The ceiling of `resize`: the pool's `max_workers`.
    pub max_workers: usize,
    /// Workers running a job now.
    pub busy: usize,
    /// Workers that finished a job and wait for the [results
    /// stream](crate::WorkerPoolBuilder::build_with_results) reader to make room for its
    /// status: back-pressure from a reader that does not keep up.
    pub waiting_for_reader: usize,
    /// Workers alive and waiting for a job (0 before `start` and after a shutdown).
    pub idle: usize,
    /// Jobs accepted and waiting in the queue.
    pub queued: usize,
    /// Jobs accepted by `submit` and its kin, since the pool was built.
    pub submitted: u64,
    /// Jobs a worker has begun.
    pub started: u64,
    /// Jobs that returned `Ok`.
    pub completed: u64,
    /// Jobs that returned an error.
    pub failed: u64,
    /// Jobs that saw cancellation and stopped (returned [`Cancelled`](crate::Cancelled)).
    pub cancelled: u64,
    /// Jobs that panicked.
    pub panicked: u64,
    /// Jobs stopped by the job timeout.
    pub timed_out: u64,
    /// Jobs aborted: by a shutdown deadline while they ran, or by their handle before they
    /// started.
    pub aborted: u64,
    /// Jobs handed back without being started.
    pub not_started: u64,
    /// Queue wait and run time percentiles, if the pool was built with
    /// [`timings(true)`](crate::WorkerPoolBuilder::timings).
    pub timings: Option<Timings>,
}

impl PoolStats {
    /// Jobs that reached an outcome: every outcome counter, summed.
    pub fn finished(&self) -> u64 {
        self.completed
            + self.failed
            + self.cancelled
            + self.panicked
            + self.timed_out
            + self.aborted
            + self.not_started
    }
}
