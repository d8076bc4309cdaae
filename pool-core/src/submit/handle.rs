//! The caller's side of one job's outcome.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::submit::outcome_slot::OutcomeSlot;
use crate::{JobError, JobId};

/// A future that resolves to a job's outcome, returned by
/// [`submit`](crate::WorkerPool::submit) and its kin.
///
/// Dropping the handle detaches the job: it still runs, and its outcome still reaches the
/// [results stream](crate::Results) and [`stats`](crate::WorkerPool::stats). Callers who
/// never want the outcome should use [`submit_detached`](crate::WorkerPool::submit_detached),
/// which pays for no handle.
///
/// # Cancel safety
///
/// Polling is cancel safe: a handle dropped mid-await loses only the outcome, never the job.
///
/// # Comparison to tokio's `JoinHandle`
///
/// Like a `JoinHandle`, it detaches on drop, can [`abort`](Self::abort) its job and says
/// whether it [`is_finished`](Self::is_finished). Unlike it, aborting is cooperative for a
/// job that has started: the job sees cancellation through its
/// [`JobContext`](crate::JobContext) and decides when to stop.
///
/// # Examples
///
/// ```
/// use pool_tokio::{job_fn, JobErrorKind, WorkerPool};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<u64>::builder().build()?;
/// pool.start()?;
/// let handle = pool.submit(job_fn("square", |_ctx| async { Ok(7 * 7) })).await?;
/// println!("waiting for {}", handle.id());
/// match handle.await {
///     Ok(value) => assert_eq!(value, 49),
///     Err(error) if error.kind() == JobErrorKind::Panicked => eprintln!("it panicked: {error}"),
///     Err(other) => eprintln!("no value: {other}"),
/// }
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "futures do nothing unless polled; drop the handle explicitly to detach the job"]
pub struct JobHandle<O> {
    id: JobId,
    slot: Arc<OutcomeSlot<O>>,
}

impl<O> JobHandle<O> {
    pub(crate) fn new(id: JobId, slot: Arc<OutcomeSlot<O>>) -> Self {
        Self { id, slot }
    }

    /// The job's id, as its [`JobContext`](crate::JobContext) and status report it.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Asks for the job to stop. If it has not started, it never will: its outcome is
    /// [`Aborted`](crate::JobErrorKind::Aborted). If it runs, its
    /// [`JobContext`](crate::JobContext) reports cancellation, and the job decides: it may
    /// stop (returning [`Cancelled`](crate::Cancelled)), or finish anyway. Does nothing once
    /// the job has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{job_fn, JobErrorKind, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().workers(1).build()?;
    /// // Not started yet: the job waits in the queue, and is aborted there.
    /// let handle = pool.submit(job_fn("report", |_ctx| async { Ok(()) })).await?;
    /// handle.abort();
    /// pool.start()?;
    /// assert_eq!(handle.await.unwrap_err().kind(), JobErrorKind::Aborted);
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn abort(&self) {
        self.slot.abort();
    }

    /// Whether the job has ended, so that awaiting the handle would not wait.
    pub fn is_finished(&self) -> bool {
        self.slot.is_sent()
    }
}

impl<O> Future for JobHandle<O> {
    type Output = Result<O, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.poll_outcome(cx)
    }
}

impl<O> Drop for JobHandle<O> {
    fn drop(&mut self) {
        self.slot.handle_dropped();
    }
}

impl<O> fmt::Debug for JobHandle<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
