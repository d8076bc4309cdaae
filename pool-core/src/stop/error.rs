//! A refused shutdown.

/// A shutdown was refused: a pool stops once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// An earlier shutdown call has already stopped the pool, or is stopping it now; it
    /// returned (or will return) the report.
    #[error("the worker pool has already been shut down")]
    AlreadyShutDown,
}
