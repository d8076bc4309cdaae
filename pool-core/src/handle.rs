//! The caller's side of one job's outcome.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;

use crate::{JobError, JobId};

/// A future that resolves to a job's outcome, returned by
/// [`submit`](crate::WorkerPool::submit) and [`try_submit`](crate::WorkerPool::try_submit).
///
/// Dropping the handle detaches the job: it still runs, and its outcome still reaches the
/// [results stream](crate::Results) and [`stats`](crate::WorkerPool::stats).
/// Callers who never want the outcome should use
/// [`submit_detached`](crate::WorkerPool::submit_detached), which pays for no result channel.
///
/// # Cancel safety
///
/// Polling is cancel safe: a handle dropped mid-await loses only the outcome, never the job.
///
/// # Examples
///
/// ```
/// use pool_core::{job_fn, Executor, JobError, WorkerPool};
///
/// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<E, u64>::builder().build()?;
/// pool.start()?;
/// let handle = pool.submit(job_fn("square", |_ctx| async { Ok(7 * 7) })).await?;
/// println!("waiting for {}", handle.id());
/// match handle.await {
///     Ok(value) => assert_eq!(value, 49),
///     Err(JobError::Panicked(message)) => eprintln!("it panicked: {message}"),
///     Err(other) => eprintln!("no value: {other}"),
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "futures do nothing unless polled; drop the handle explicitly to detach the job"]
pub struct JobHandle<O> {
    id: JobId,
    outcome: oneshot::Receiver<Result<O, JobError>>,
}

impl<O> JobHandle<O> {
    pub(crate) fn new(id: JobId, outcome: oneshot::Receiver<Result<O, JobError>>) -> Self {
        Self { id, outcome }
    }

    /// The job's id, as its [`JobContext`](crate::JobContext) and status report it.
    pub fn id(&self) -> JobId {
        self.id
    }
}

impl<O> Future for JobHandle<O> {
    type Output = Result<O, JobError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.outcome)
            .poll(cx)
            .map(|received| match received {
                Ok(outcome) => outcome,
                // Every path through the pool replies before dropping the sender; only an
                // envelope dropped unrun (its runtime shut down under it) gets here.
                Err(oneshot::Canceled) => Err(JobError::NotStarted),
            })
    }
}

impl<O> fmt::Debug for JobHandle<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle").field("id", &self.id).finish()
    }
}
