//! What a running job knows about itself and its pool.

use std::sync::Arc;

use uuid::Uuid;

use crate::{CancellationToken, JobId};

/// The context the pool hands to each job: which job this is, which worker runs it, which pool
/// it belongs to, and the pool's cancellation token.
///
/// The token is the pool's own: it is cancelled by
/// [`shutdown_now`](crate::WorkerPool::shutdown_now), by the deadline of
/// [`shutdown_timeout`](crate::WorkerPool::shutdown_timeout), and by the parent token given to
/// [`cancellation`](crate::WorkerPoolBuilder::cancellation). A job may then finish gracefully
/// or stop at once.
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
///     Ok::<_, BoxError>(pages)
/// });
/// ```
#[derive(Clone, Debug)]
pub struct JobContext {
    job_id: JobId,
    job_name: String,
    worker_id: usize,
    pool: Arc<PoolIdentity>,
    token: CancellationToken,
}

/// Who a pool is: fixed at build time, shared by all its workers.
#[derive(Debug)]
pub(crate) struct PoolIdentity {
    pub(crate) id: u64,
    pub(crate) uuid: Uuid,
    pub(crate) name: String,
}

impl JobContext {
    /// A worker keeps one context and re-fills it for every job, so that the hot path does not
    /// allocate.
    pub(crate) fn for_worker(
        pool: Arc<PoolIdentity>,
        token: CancellationToken,
        worker_id: usize,
    ) -> Self {
        Self {
            job_id: JobId(0),
            job_name: String::new(),
            worker_id,
            pool,
            token,
        }
    }

    pub(crate) fn begin(&mut self, job_id: JobId, job_name: &str) {
        self.job_id = job_id;
        // A worker mostly runs one kind of job after another: compare before copying.
        if self.job_name != job_name {
            self.job_name.clear();
            self.job_name.push_str(job_name);
        }
    }

    /// The id of the running job (the same as its [`JobHandle::id`](crate::JobHandle::id)).
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// The name of the running job, as its [`name`](crate::JobProcessor::name) gave it.
    pub fn job_name(&self) -> &str {
        &self.job_name
    }

    /// The worker running the job: `0..workers`.
    pub fn worker_id(&self) -> usize {
        self.worker_id
    }

    /// The pool's name.
    pub fn pool_name(&self) -> &str {
        &self.pool.name
    }

    /// The pool's process-wide id.
    pub fn pool_id(&self) -> u64 {
        self.pool.id
    }

    /// The pool's token. Clone it to hand cancellation on to work the job starts.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Whether the pool has asked running jobs to stop.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves when the pool asks running jobs to stop.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }
}
