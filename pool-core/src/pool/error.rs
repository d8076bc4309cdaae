//! What can go wrong in building and starting a pool.

/// [`build`](crate::WorkerPoolBuilder::build) refused the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A pool needs at least one worker.
    #[error("a worker pool needs at least one worker")]
    ZeroWorkers,
    /// More workers than [`MAX_WORKERS`](crate::MAX_WORKERS).
    #[error("{0} workers is more than the limit of {max}", max = crate::MAX_WORKERS)]
    TooManyWorkers(usize),
    /// A queue must hold at least one job.
    #[error("the job queue needs a capacity of at least one")]
    ZeroQueueCapacity,
    /// A queue larger than [`MAX_QUEUE_CAPACITY`](crate::MAX_QUEUE_CAPACITY).
    #[error("a queue of {0} jobs is more than the limit of {max}", max = crate::MAX_QUEUE_CAPACITY)]
    QueueTooLarge(usize),
    /// The results stream must hold at least one status.
    #[error("the results stream needs a capacity of at least one")]
    ZeroResultsCapacity,
    /// A results stream larger than [`MAX_QUEUE_CAPACITY`](crate::MAX_QUEUE_CAPACITY).
    #[error("a results stream of {0} statuses is more than the limit of {max}", max = crate::MAX_QUEUE_CAPACITY)]
    ResultsTooLarge(usize),
    /// `max_jobs(0)` would accept nothing.
    #[error("max_jobs must be at least one")]
    ZeroMaxJobs,
    /// `job_timeout(Duration::ZERO)` would time out every job before it began (and runtimes
    /// disagree on what a zero sleep means).
    #[error("job_timeout must be longer than zero")]
    ZeroJobTimeout,
    /// `max_workers` below `workers`: the pool could not even start at its size.
    #[error("max_workers ({max}) is below workers ({workers})")]
    MaxBelowWorkers {
        /// The starting size asked for.
        workers: usize,
        /// The ceiling asked for.
        max: usize,
    },
    /// `min_workers` of 0 (an elastic pool keeps at least one worker, so that a queued job
    /// always has one to run it) or above `workers`.
    #[error("min_workers must be between 1 and workers ({workers}), not {min}")]
    MinWorkersOutOfRange {
        /// The minimum asked for.
        min: usize,
        /// The starting size asked for.
        workers: usize,
    },
    /// `min_workers` without `idle_timeout`: workers never retire, so a minimum means nothing.
    #[error("min_workers needs an idle_timeout: without one, no worker retires")]
    MinWorkersWithoutIdleTimeout,
    /// `idle_timeout(Duration::ZERO)` would retire every worker the moment it waits.
    #[error("idle_timeout must be longer than zero")]
    ZeroIdleTimeout,
}

/// [`start`](crate::WorkerPool::start) was refused: a pool starts once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The pool is already running.
    #[error("the worker pool has already been started")]
    AlreadyStarted,
    /// The pool was shut down; it cannot be started again.
    #[error("the worker pool has been shut down and cannot be restarted")]
    ShutDown,
    /// The executor cannot spawn from here (tokio, outside a runtime). Nothing was changed:
    /// call `start` again from where it can.
    #[error("cannot start the worker pool here")]
    NoRuntime(#[from] crate::NoRuntime),
}
