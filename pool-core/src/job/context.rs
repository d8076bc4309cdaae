//! What a running job knows about itself and its pool.

use std::fmt;
use std::sync::Arc;

use crate::job::abort::AbortSignal;
use crate::job::pool_identity::PoolIdentity;
use crate::job::scope::{RecentScopes, WorkerScope};
use crate::rt::blocking::run_blocking;
use crate::{CancellationToken, JobId};

/// The context the pool hands to each job: which job this is, which worker runs it, which pool
/// it belongs to, and the pool's cancellation token.
///
/// A job is asked to stop when the pool's token is cancelled (by
/// [`shutdown_now`](crate::WorkerPool::shutdown_now), by the deadline of
/// [`shutdown_timeout`](crate::WorkerPool::shutdown_timeout), or by the parent token given to
/// [`cancellation`](crate::WorkerPoolBuilder::cancellation)), or when its own handle's
/// [`abort`](crate::JobHandle::abort) is called. [`is_cancelled`](Self::is_cancelled) and
/// [`cancelled`](Self::cancelled) see both. A job may then finish gracefully, or stop at once
/// and return [`Cancelled`](crate::Cancelled).
///
/// # Examples
///
/// ```
/// use pool_core::{job_fn, BoxError};
///
/// let job = job_fn("poll-feed", |ctx| async move {
///     let mut pages = 0;
///     while !ctx.is_cancelled() && pages < 3 {
///         pages += 1; // fetch a page...
///     }
///     Ok(pages)
/// });
/// ```
///
/// A clone is cheap (one reference count, of its worker's own, and no copy of the name), so a
/// closure job may take the context by value.
#[derive(Clone)]
pub struct JobContext {
    job_id: JobId,
    /// The pool, the worker and the job's name: shared, not copied, by clones.
    scope: Arc<WorkerScope>,
    /// The running job's own abort, when its handle or its set can send one.
    abort: Option<Arc<dyn AbortSignal>>,
}

impl fmt::Debug for JobContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobContext")
            .field("job_id", &self.job_id)
            .field("job_name", &self.scope.job_name)
            .field("worker_id", &self.scope.worker_id)
            .field("pool", &self.scope.pool.name)
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

impl JobContext {
    /// A worker keeps one context and re-fills it for every job, so that the hot path does not
    /// allocate.
    pub(crate) fn for_worker(pool: Arc<PoolIdentity>, worker_id: usize) -> Self {
        Self {
            job_id: JobId(0),
            scope: WorkerScope::unnamed(pool, worker_id),
            abort: None,
        }
    }

    #[inline]
    pub(crate) fn begin(
        &mut self,
        job_id: JobId,
        job_name: &str,
        abort: Option<Arc<dyn AbortSignal>>,
        recent: &mut RecentScopes,
    ) {
        self.job_id = job_id;
        self.abort = abort;
        // A worker mostly runs one kind of job after another: compare before switching.
        if *self.scope.job_name != *job_name {
            recent.switch(&mut self.scope, job_name);
        }
    }

    #[inline]
    pub(crate) fn end_job(&mut self) {
        self.abort = None;
    }

    /// The id of the running job (the same as its [`JobHandle::id`](crate::JobHandle::id)).
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// The name of the running job, as its [`name`](crate::JobProcessor::name) gave it.
    pub fn job_name(&self) -> &str {
        &self.scope.job_name
    }

    /// The worker running the job: `0..workers`.
    pub fn worker_id(&self) -> usize {
        self.scope.worker_id
    }

    /// The pool's name.
    pub fn pool_name(&self) -> &str {
        &self.scope.pool.name
    }

    /// The pool's process-wide id.
    pub fn pool_id(&self) -> u64 {
        self.scope.pool.id
    }

    /// A child of the pool's token, to hand cancellation on to work the job starts: it is
    /// cancelled when the pool's token is, and cancelling it stops only what watches it, never
    /// the pool. (It does not see this job's own abort; [`is_cancelled`](Self::is_cancelled)
    /// and [`cancelled`](Self::cancelled) do.)
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<bool>::builder().build()?;
    /// pool.start()?;
    /// let handle = pool
    ///     .submit(job_fn("fan-out", |ctx| async move {
    ///         let subtasks = ctx.token();
    ///         subtasks.cancel(); // the job gives up on its own subtasks...
    ///         Ok(ctx.is_cancelled())
    ///     }))
    ///     .await?;
    /// assert!(!handle.await?); // ...and the pool, and the job, carry on
    /// assert!(!pool.is_closed());
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use = "a child token does nothing unless kept and watched"]
    pub fn token(&self) -> CancellationToken {
        self.scope.pool.token.child_token()
    }

    /// Whether the job is asked to stop: the pool's token is cancelled, or the job's handle
    /// (or its [`JobSet`](crate::JobSet)) asked for an abort.
    pub fn is_cancelled(&self) -> bool {
        self.scope.pool.token.is_cancelled()
            || self
                .abort
                .as_ref()
                .is_some_and(|abort| abort.is_aborted(self.job_id))
    }

    /// Runs synchronous `f` where blocking is allowed (the runtime's threads for blocking
    /// work, through the pool's [`Executor::spawn_blocking`](crate::Executor::spawn_blocking))
    /// and waits for its value, without holding up the runtime. A panic in `f` resumes here.
    /// For a whole job of blocking code, see [`blocking_job_fn`](crate::blocking_job_fn).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::job_fn;
    ///
    /// let job = job_fn("checksum", |ctx| async move {
    ///     let data = vec![7_u8; 1 << 20]; // fetched asynchronously, say
    ///     let sum = ctx
    ///         .run_blocking(move || data.iter().map(|&b| u64::from(b)).sum::<u64>())
    ///         .await;
    ///     Ok(sum)
    /// });
    /// # let _ = job;
    /// ```
    pub async fn run_blocking<T, F>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(&self.scope.pool.blocking, f).await
    }

    /// Runs `future` until it completes (`Some` of its output) or the job is asked to stop
    /// (`None`; the future is dropped), whichever comes first: for a job that stops at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::{job_fn, Cancelled};
    ///
    /// let job = job_fn("fetch", |ctx| async move {
    ///     let page = ctx
    ///         .run_until_cancelled(async { "the page" /* a long fetch */ })
    ///         .await
    ///         .ok_or(Cancelled)?; // stopped: counted as cancelled
    ///     Ok(page.len())
    /// });
    /// # let _ = job;
    /// ```
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let cancelled = async {
            self.cancelled().await;
            None
        };
        futures_lite::future::or(cancelled, async { Some(future.await) }).await
    }

    /// Resolves when the job is asked to stop.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it resolves has no effect.
    pub async fn cancelled(&self) {
        let Some(abort) = &self.abort else {
            return self.scope.pool.token.cancelled().await;
        };
        loop {
            if self.is_cancelled() {
                return;
            }
            let listener = abort.listen();
            if self.is_cancelled() {
                return;
            }
            futures_lite::future::or(listener, self.scope.pool.token.cancelled()).await;
        }
    }
}
