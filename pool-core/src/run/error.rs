//! A refused resize.

/// [`resize`](crate::WorkerPool::resize) was refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResizeError {
    /// A pool needs at least one worker: stop it with a shutdown instead.
    #[error("a worker pool needs at least one worker: shut it down instead of resizing to 0")]
    Zero,
    /// Above the pool's [`max_workers`](crate::WorkerPoolBuilder::max_workers), fixed when it
    /// was built.
    #[error("cannot resize to {requested} workers: the pool was built with max_workers({max})")]
    AboveMax {
        /// The size asked for.
        requested: usize,
        /// The pool's ceiling.
        max: usize,
    },
    /// The pool is shutting down or has stopped: its size no longer matters.
    #[error("the worker pool is shutting down")]
    ShutDown,
    /// Growing needs to spawn workers, and the executor cannot spawn from here (tokio,
    /// outside a runtime). Nothing was changed.
    #[error("cannot add workers here")]
    NoRuntime(#[from] crate::NoRuntime),
}
