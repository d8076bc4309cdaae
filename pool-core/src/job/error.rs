//! Every way a job can end without a value.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::BoxError;

/// How a job ended without a value: the one classification the stats, the sample app and
/// callers all use. From [`JobError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobErrorKind {
    /// The job ran and returned an error.
    Failed,
    /// The job saw cancellation (its pool's, or its handle's
    /// [`abort`](crate::JobHandle::abort)) and stopped: it returned [`Cancelled`].
    Cancelled,
    /// The job panicked; its worker survived and went on.
    Panicked,
    /// The job ran past the pool's [`job_timeout`](crate::WorkerPoolBuilder::job_timeout)
    /// and was stopped.
    TimedOut,
    /// The job was stopped from outside: its handle's [`abort`](crate::JobHandle::abort) came
    /// before it started (it never ran), or it ignored cancellation past a shutdown deadline
    /// and its worker was aborted.
    Aborted,
    /// The job never started: the pool stopped first and handed it back (see
    /// [`ShutdownReport::unstarted`](crate::ShutdownReport::unstarted)).
    NotStarted,
}

/// The error a job returns when it stops because it saw cancellation: its outcome is then
/// [`JobErrorKind::Cancelled`], not a failure.
///
/// # Examples
///
/// ```
/// use pool_core::{job_fn, Cancelled};
///
/// let job = job_fn("poll", |ctx| async move {
///     let mut pages = 0_u32;
///     loop {
///         if ctx.is_cancelled() {
///             return Err(Cancelled.into()); // counted as cancelled, not failed
///         }
///         pages += 1;
///         if pages == 3 {
///             return Ok(pages);
///         }
///     }
/// });
/// # let _ = job;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("the job saw cancellation and stopped")]
pub struct Cancelled;

/// Why a job produced no value: its [`kind`](JobError::kind), and for a failure, the job's own
/// error as its [`source`](Error::source).
///
/// It is `Clone` (a failure's error is shared), because the same outcome can reach both the
/// job's [`JobHandle`](crate::JobHandle) and the [results stream](crate::Results).
///
/// # Examples
///
/// ```
/// use std::error::Error;
///
/// use pool_tokio::{JobErrorKind, WorkerPool};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<()>::builder().build()?;
/// pool.start()?;
/// let handle = pool
///     .spawn(async {
///         Err::<(), _>(std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
///     })
///     .await?;
/// let error = handle.await.unwrap_err();
/// assert_eq!(error.kind(), JobErrorKind::Failed);
/// let io = error.downcast_ref::<std::io::Error>().expect("the job's own error");
/// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// assert!(error.source().is_some());
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JobError(Repr);

#[derive(Clone)]
enum Repr {
    Failed(Arc<dyn Error + Send + Sync + 'static>),
    Cancelled,
    Panicked(Arc<str>),
    TimedOut(Duration),
    Aborted,
    NotStarted,
}

impl JobError {
    /// A job's error: [`Cancelled`] (or a cancelled `JobError` passed on with `?`) makes a
    /// cancelled outcome, anything else a failure.
    pub(crate) fn from_job(error: BoxError) -> Self {
        let cancelled =
            error.is::<Cancelled>() || error.downcast_ref::<Self>().is_some_and(Self::is_cancelled);
        if cancelled {
            Self(Repr::Cancelled)
        } else {
            Self(Repr::Failed(Arc::from(error)))
        }
    }

    pub(crate) fn panicked(message: String) -> Self {
        Self(Repr::Panicked(message.into()))
    }

    pub(crate) const fn timed_out(limit: Duration) -> Self {
        Self(Repr::TimedOut(limit))
    }

    pub(crate) const ABORTED: Self = Self(Repr::Aborted);

    pub(crate) const NOT_STARTED: Self = Self(Repr::NotStarted);

    /// How the job ended.
    pub fn kind(&self) -> JobErrorKind {
        match self.0 {
            Repr::Failed(_) => JobErrorKind::Failed,
            Repr::Cancelled => JobErrorKind::Cancelled,
            Repr::Panicked(_) => JobErrorKind::Panicked,
            Repr::TimedOut(_) => JobErrorKind::TimedOut,
            Repr::Aborted => JobErrorKind::Aborted,
            Repr::NotStarted => JobErrorKind::NotStarted,
        }
    }

    /// Whether the job ran to its end and returned an error.
    pub fn is_failed(&self) -> bool {
        self.kind() == JobErrorKind::Failed
    }

    /// Whether the job saw cancellation and stopped.
    pub fn is_cancelled(&self) -> bool {
        self.kind() == JobErrorKind::Cancelled
    }

    /// Whether the job panicked.
    pub fn is_panic(&self) -> bool {
        self.kind() == JobErrorKind::Panicked
    }

    /// Whether the job never started.
    pub fn is_not_started(&self) -> bool {
        self.kind() == JobErrorKind::NotStarted
    }

    /// The job's own error, for a failure.
    pub fn failure(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.0 {
            Repr::Failed(error) => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The job's own error as a `T`, for a failure whose error is one.
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.failure()?.downcast_ref()
    }

    /// The panic's message (or a description of a payload that is not a string), for a
    /// panic.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.0 {
            Repr::Panicked(message) => Some(message),
            _ => None,
        }
    }

    /// The job timeout that stopped the job, for a timeout.
    pub fn timeout(&self) -> Option<Duration> {
        match self.0 {
            Repr::TimedOut(limit) => Some(limit),
            _ => None,
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // The job's own error is the source (see `source`), not repeated here.
            Repr::Failed(_) => f.write_str("job failed"),
            Repr::Cancelled => f.write_str("job cancelled: it saw cancellation and stopped"),
            Repr::Panicked(message) => write!(f, "job panicked: {message}"),
            Repr::TimedOut(limit) => write!(f, "job timed out after {limit:?}"),
            Repr::Aborted => f.write_str("job aborted"),
            Repr::NotStarted => f.write_str("job not started: the pool stopped first"),
        }
    }
}

impl fmt::Debug for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Failed(error) => f.debug_tuple("Failed").field(error).finish(),
            Repr::Panicked(message) => f.debug_tuple("Panicked").field(message).finish(),
            Repr::TimedOut(limit) => f.debug_tuple("TimedOut").field(limit).finish(),
            _ => fmt::Debug::fmt(&self.kind(), f),
        }
    }
}

impl Error for JobError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.0 {
            Repr::Failed(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}
