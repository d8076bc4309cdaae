//! Every way a job can end without a value.

use std::sync::Arc;
use std::time::Duration;

/// Why a job produced no value. Each outcome is told apart, so a caller can decide what to
/// retry.
///
/// It is `Clone` (a failure's error is shared), because the same outcome can reach both the
/// job's [`JobHandle`](crate::JobHandle) and the [results stream](crate::Results).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// The job ran and returned an error.
    #[error("job failed: {0}")]
    Failed(Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The job panicked; the message is the panic's payload when it was a string. The worker
    /// survived and went on with other jobs.
    #[error("job panicked: {0}")]
    Panicked(String),
    /// The job ran past the pool's [`job_timeout`](crate::WorkerPoolBuilder::job_timeout) and
    /// was stopped.
    #[error("job timed out after {0:?}")]
    TimedOut(Duration),
    /// The job ignored cancellation past the deadline of
    /// [`shutdown_timeout`](crate::WorkerPool::shutdown_timeout) and its worker was aborted.
    #[error("job aborted at a shutdown deadline")]
    Aborted,
    /// The job never started: the pool stopped first and handed it back (see
    /// [`ShutdownReport::unstarted`](crate::ShutdownReport::unstarted)).
    #[error("job not started: the pool stopped first")]
    NotStarted,
}

impl JobError {
    /// Whether the job ran to its end (it failed, but was not stopped from outside).
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }

    /// Whether the job never started.
    pub fn is_not_started(&self) -> bool {
        matches!(self, Self::NotStarted)
    }
}
