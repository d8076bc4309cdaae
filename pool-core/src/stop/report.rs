//! What a shutdown gives back: the final numbers, and every job that never started.

use std::fmt;

use crate::submit::envelope::Envelope;
use crate::{JobId, JobProcessor, PoolStats};

/// The result of a shutdown: the final [`PoolStats`], and the jobs that never started.
///
/// `unstarted` is empty after a graceful [`shutdown`](crate::WorkerPool::shutdown) of a
/// started pool; after [`shutdown_now`](crate::WorkerPool::shutdown_now) (or a cancelled
/// parent token) it holds every accepted job that no worker began, in no particular order.
/// Their handles resolved to [`NotStarted`](crate::JobErrorKind::NotStarted).
#[derive(Debug)]
#[non_exhaustive]
pub struct ShutdownReport<O> {
    /// The pool's book-keeping once it stopped: exact, and it adds up.
    pub stats: PoolStats,
    /// Accepted jobs that never started, handed back to the caller.
    pub unstarted: Vec<UnstartedJob<O>>,
}

/// An accepted job that never started, handed back by a shutdown.
///
/// # Examples
///
/// ```
/// use pool_core::{async_trait, BoxError, JobContext, JobProcessor, UnstartedJob};
///
/// struct Email {
///     to: String,
/// }
///
/// #[async_trait]
/// impl JobProcessor for Email {
///     type Output = ();
///     fn name(&self) -> &str {
///         "email"
///     }
///     async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
///         Ok(())
///     }
/// }
///
/// // After `let report = pool.shutdown_now().await?`, re-queue the emails elsewhere:
/// fn requeue(unstarted: Vec<UnstartedJob<()>>) -> Vec<Email> {
///     unstarted.into_iter().filter_map(|job| job.downcast::<Email>().ok()).collect()
/// }
/// ```
pub struct UnstartedJob<O> {
    id: JobId,
    job: Envelope<O>,
}

impl<O: Send + 'static> UnstartedJob<O> {
    pub(crate) fn new(job: Envelope<O>) -> Self {
        Self { id: job.id(), job }
    }

    /// The id the job was given when it was accepted.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Whether the job is a `J`.
    pub fn is<J: JobProcessor<Output = O>>(&self) -> bool {
        self.job.holds::<J>()
    }

    /// The job as the type it was submitted as, or `self` back if it is another type.
    pub fn downcast<J: JobProcessor<Output = O>>(self) -> Result<J, Self> {
        let id = self.id;
        self.job.try_into_job().map_err(|job| Self { id, job })
    }

    /// The job, boxed, whatever its type.
    pub fn into_job(self) -> Box<dyn JobProcessor<Output = O>> {
        self.job.into_boxed_job()
    }
}

impl<O> fmt::Debug for UnstartedJob<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnstartedJob")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
