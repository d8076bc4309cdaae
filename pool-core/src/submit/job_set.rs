//! Taking outcomes as they finish, each with its job's id: tokio's `JoinSet`, for a pool.

use std::fmt;
use std::sync::{Arc, Weak};

use async_channel::Receiver;

use crate::job::closure::FutureJob;
use crate::pool::worker_pool::PoolInner;
use crate::submit::reply::Reply;
use crate::submit::set_link::{SetEntry, SetLink};
use crate::{
    BoxError, Executor, FnJob, JobContext, JobError, JobId, JobProcessor, SubmitError,
    TrySubmitError, WorkerPool, job_fn,
};

/// Jobs submitted together, whose outcomes are taken as they finish, each with its job's id,
/// from [`join_next`](Self::join_next). From [`WorkerPool::job_set`].
///
/// The outcomes come through one channel the set owns, not a handle per job: no id map to
/// keep, and cheaper than a handle.
///
/// # Comparison to `JoinSet`
///
/// Like tokio's `JoinSet`: `spawn`, `join_next` (here with the id), `len`, `is_empty`,
/// `join_all`. Unlike it, the jobs run on the pool's bounded workers, so submitting waits for
/// room in the queue; and dropping the set *detaches* its jobs (they still run, and reach the
/// pool's stats and results stream) where `JoinSet` aborts them. The set does not keep the
/// pool alive: once every `WorkerPool` clone is dropped, the set's submits are refused as
/// `Closed`, and its jobs end as the pool's drop says.
///
/// # Cancel safety
///
/// [`join_next`](Self::join_next) is cancel safe: dropped before it resolves, it took no
/// outcome.
///
/// # Examples
///
/// ```
/// use pool_tokio::WorkerPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<u64>::builder().workers(4).build()?;
/// pool.start()?;
/// let mut set = pool.job_set();
/// for n in 0..10_u64 {
///     set.submit_fn(move |_ctx| async move {
///         if n == 3 { Err("three is unlucky".into()) } else { Ok(n * n) }
///     })
///     .await?;
/// }
/// let (mut sum, mut failed) = (0, 0);
/// while let Some((id, outcome)) = set.join_next().await {
///     match outcome {
///         Ok(square) => sum += square,
///         Err(error) => {
///             eprintln!("{id}: {error}");
///             failed += 1;
///         }
///     }
/// }
/// assert_eq!((sum, failed), (285 - 9, 1));
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a job set does nothing unless jobs are submitted into it"]
pub struct JobSet<E: Executor, O: Send + 'static> {
    /// Weak, so that the set does not keep the pool from being dropped (a pool dropped before
    /// `start` tells its queued jobs `NotStarted`, and the set hears of it).
    pool: Weak<PoolInner<E, O>>,
    pool_name: String,
    /// Shared with the set's jobs: where their outcomes go, and which ones to abort.
    link: Arc<SetLink<O>>,
    receiver: Receiver<SetEntry<O>>,
    /// Jobs submitted whose outcome has not been taken.
    pending: usize,
}

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// An empty [`JobSet`] on this pool.
    pub fn job_set(&self) -> JobSet<E, O> {
        // Unbounded: a worker telling an outcome never waits; there are never more entries
        // than jobs submitted through the set and not yet joined.
        let (sender, receiver) = async_channel::unbounded();
        JobSet {
            pool: self.downgrade(),
            pool_name: self.name().to_owned(),
            link: Arc::new(SetLink::new(sender)),
            receiver,
            pending: 0,
        }
    }
}

impl<E: Executor, O: Send + 'static> JobSet<E, O> {
    fn reply(&self) -> Option<Reply<O>> {
        Some(Reply::Set(Arc::clone(&self.link)))
    }

    /// Submits `job` into the set, waiting for room in the pool's queue.
    ///
    /// # Errors
    ///
    /// As [`WorkerPool::submit`], with the job handed back; `Closed` too if the pool has been
    /// dropped.
    pub async fn submit<J>(&mut self, job: J) -> Result<JobId, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let Some(pool) = WorkerPool::upgrade(&self.pool) else {
            return Err(SubmitError::Closed(job));
        };
        let id = match pool.enqueue_now(job, self.reply()) {
            Ok(queued) => queued?,
            Err(must_wait) => pool.enqueue_after_waiting(must_wait).await?,
        };
        self.pending += 1;
        Ok(id)
    }

    /// Submits `job` into the set if the pool's queue has room now.
    ///
    /// # Errors
    ///
    /// As [`WorkerPool::try_submit`], with the job handed back.
    pub fn try_submit<J>(&mut self, job: J) -> Result<JobId, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let Some(pool) = WorkerPool::upgrade(&self.pool) else {
            return Err(TrySubmitError::Closed(job));
        };
        let id = pool.try_enqueue(job, self.reply())?;
        self.pending += 1;
        Ok(id)
    }

    /// Submits an async closure into the set, as [`WorkerPool::submit_fn`] does.
    ///
    /// # Errors
    ///
    /// As [`WorkerPool::submit`].
    pub async fn submit_fn<F, Fut>(&mut self, f: F) -> Result<JobId, SubmitError<FnJob<F>>>
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    {
        self.submit(job_fn("job", f)).await
    }

    /// Submits an async closure into the set, as [`WorkerPool::spawn_fn`] does: its future
    /// may fail with any error that converts into a [`BoxError`].
    ///
    /// # Errors
    ///
    /// As [`WorkerPool::submit`].
    pub async fn spawn_fn<F, Fut, Error>(
        &mut self,
        f: F,
    ) -> Result<JobId, SubmitError<FnJob<F, Error>>>
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, Error>> + Send + 'static,
        Error: Into<BoxError> + 'static,
    {
        self.submit(FnJob::new("job", f)).await
    }

    /// Submits a future into the set, as [`WorkerPool::spawn`] does.
    ///
    /// # Errors
    ///
    /// As [`WorkerPool::submit`], with the future handed back.
    pub async fn spawn<Fut, Error>(&mut self, future: Fut) -> Result<JobId, SubmitError<Fut>>
    where
        Fut: Future<Output = Result<O, Error>> + Send + 'static,
        Error: Into<BoxError> + 'static,
    {
        self.submit(FutureJob::new(future))
            .await
            .map_err(|refused| refused.map(FutureJob::into_future))
    }

    /// The next outcome to finish, with its job's id; `None` once every job submitted through
    /// the set has been joined.
    pub async fn join_next(&mut self) -> Option<(JobId, Result<O, JobError>)> {
        if self.pending == 0 {
            return None;
        }
        // The set holds a sender: the channel cannot close under it.
        let entry = self.receiver.recv().await.ok()?;
        self.pending -= 1;
        self.link.joined(entry.0);
        Some(entry)
    }

    /// An outcome that has finished already, if any.
    pub fn try_join_next(&mut self) -> Option<(JobId, Result<O, JobError>)> {
        if self.pending == 0 {
            return None;
        }
        let entry = self.receiver.try_recv().ok()?;
        self.pending -= 1;
        self.link.joined(entry.0);
        Some(entry)
    }

    /// Asks the set's job `id` to stop, as [`JobHandle::abort`](crate::JobHandle::abort)
    /// does: queued, it never starts and ends `Aborted`; running, its context reports
    /// cancellation. Its outcome still comes from [`join_next`](Self::join_next). An id of
    /// no job of the set, or of one already joined, changes no outcome (the set remembers
    /// it until it is dropped: a few bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::JobErrorKind;
    /// use pool_tokio::WorkerPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<u32>::builder().build()?; // not started: the jobs wait
    /// let mut set = pool.job_set();
    /// let keep = set.submit_fn(|_ctx| async { Ok(1) }).await?;
    /// let drop_it = set.submit_fn(|_ctx| async { Ok(2) }).await?;
    /// set.abort(drop_it);
    /// pool.start()?;
    /// let mut outcomes = set.join_all().await;
    /// outcomes.sort_by_key(|(id, _)| *id);
    /// assert_eq!(outcomes[0].0, keep);
    /// assert_eq!(outcomes[0].1.as_ref().ok(), Some(&1));
    /// assert_eq!(outcomes[1].1.as_ref().unwrap_err().kind(), JobErrorKind::Aborted);
    /// # Ok(())
    /// # }
    /// ```
    pub fn abort(&self, id: JobId) {
        self.link.abort(id);
    }

    /// Waits for every job in the set, and returns their outcomes in the order they finished.
    pub async fn join_all(mut self) -> Vec<(JobId, Result<O, JobError>)> {
        let mut outcomes = Vec::with_capacity(self.pending);
        while let Some(entry) = self.join_next().await {
            outcomes.push(entry);
        }
        outcomes
    }

    /// Jobs submitted through the set whose outcome has not been joined yet.
    pub fn len(&self) -> usize {
        self.pending
    }

    /// Whether every job submitted through the set has been joined.
    pub fn is_empty(&self) -> bool {
        self.pending == 0
    }
}

impl<E: Executor, O: Send + 'static> fmt::Debug for JobSet<E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobSet")
            .field("pool", &self.pool_name)
            .field("pending", &self.pending)
            .field("finished", &self.receiver.len())
            .finish()
    }
}
