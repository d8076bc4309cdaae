//! The pool itself: identity, start, submission and book-keeping. Shutdown is in
//! `shutdown.rs`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_channel::{SendError, TrySendError};
use uuid::Uuid;

use crate::context::PoolIdentity;
use crate::envelope::{Envelope, Reply};
use crate::intake::{Admission, Intake};
use crate::lock::lock;
use crate::shared::Shared;
use crate::sink::ResultsSink;
use crate::worker::work;
use crate::{
    CancellationToken, Executor, JobHandle, JobId, JobProcessor, PoolStats, Results, StartError,
    SubmitError, TrySubmitError, WorkerPoolBuilder,
};

/// Process-wide pool ids, as gowp's `atomic.AddInt32`.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// A fixed team of workers pulling jobs from a bounded queue.
///
/// `E` is the runtime (pick a backend crate: `pool-tokio`, `pool-smol`, `pool-async-std`),
/// `O` what the jobs produce. The pool is built once, started once and shut down once; every
/// method takes `&self`, so it can be shared (for instance in an `Arc`) between producers.
///
/// # No job is lost
///
/// Every accepted job ends in exactly one outcome, which reaches its [`JobHandle`], the
/// [results stream](Self::results) and [`stats`](Self::stats):
///
/// | how the pool stops | queued jobs | running jobs |
/// |---|---|---|
/// | [`shutdown`](Self::shutdown) | run | finish |
/// | [`shutdown_now`](Self::shutdown_now), or the parent token is cancelled | handed back, `NotStarted` | see cancellation; awaited |
/// | [`shutdown_timeout(d)`](Self::shutdown_timeout) | run until `d`, then handed back | awaited until `d`, then cancelled, then aborted after the grace period |
/// | dropped after `start`, without a shutdown | run, in the background | finish, in the background |
/// | dropped before `start` | handles resolve to `NotStarted` | none |
///
/// # Examples
///
/// ```
/// use pool_core::{job_fn, Executor, WorkerPool};
///
/// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<E, usize>::builder().name("lengths").workers(4).build()?;
/// pool.start()?;
/// let mut handles = Vec::new();
/// for word in ["worker", "pool"] {
///     handles.push(pool.submit(job_fn("len", move |_ctx| async move { Ok(word.len()) })).await?);
/// }
/// for handle in handles {
///     println!("{}", handle.await?);
/// }
/// let report = pool.shutdown().await?;
/// assert_eq!(report.stats.completed, 2);
/// # Ok(())
/// # }
/// ```
pub struct WorkerPool<E: Executor, O: Send + 'static = ()> {
    shared: Arc<Shared<E, O>>,
    lifecycle: Mutex<Lifecycle<E::Task>>,
    start_message: String,
    pub(crate) cancel_message: String,
    pub(crate) shutdown_grace: Duration,
}

pub(crate) struct Lifecycle<T> {
    pub(crate) phase: Phase,
    pub(crate) tasks: Vec<T>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Built,
    Running,
    Stopping,
    Stopped,
}

impl<E: Executor + Default, O: Send + 'static> WorkerPool<E, O> {
    /// A builder for a pool on the default instance of executor `E`.
    pub fn builder() -> WorkerPoolBuilder<E, O> {
        WorkerPoolBuilder::new(E::default())
    }
}

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// A builder for a pool on the given executor (for instance a smol executor of your own).
    pub fn with_executor(executor: E) -> WorkerPoolBuilder<E, O> {
        WorkerPoolBuilder::new(executor)
    }

    pub(crate) fn new(
        config: WorkerPoolBuilder<E, O>,
        queue_capacity: usize,
        results: Option<ResultsSink<O>>,
    ) -> Self {
        let id = NEXT_POOL_ID.fetch_add(1, Relaxed);
        let identity = PoolIdentity {
            id,
            uuid: Uuid::new_v4(),
            name: config.name.unwrap_or_else(|| format!("pool-{id}")),
        };
        let token = match &config.parent {
            Some(parent) => parent.child_token(),
            None => CancellationToken::new(),
        };
        let shared = Shared::new(
            config.executor,
            identity,
            token,
            config.workers,
            queue_capacity,
            config.max_jobs,
            config.job_timeout,
            results,
        );
        Self {
            shared: Arc::new(shared),
            lifecycle: Mutex::new(Lifecycle {
                phase: Phase::Built,
                tasks: Vec::new(),
            }),
            start_message: config.start_message,
            cancel_message: config.cancel_message,
            shutdown_grace: config.shutdown_grace,
        }
    }

    /// The pool's process-wide id: 1 for the first pool built, 2 for the next...
    pub fn id(&self) -> u64 {
        self.shared.identity.id
    }

    /// The pool's UUID (version 4), unique across processes.
    pub fn uuid(&self) -> Uuid {
        self.shared.identity.uuid
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.shared.identity.name
    }

    /// The pool's own cancellation token, as jobs see it in their
    /// [`JobContext`](crate::JobContext). Cancelling it stops the pool as
    /// [`shutdown_now`](Self::shutdown_now) does, without waiting.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.shared.token
    }

    /// Whether the pool has stopped accepting jobs (shut down, cancelled, or `max_jobs`
    /// reached).
    pub fn is_closed(&self) -> bool {
        self.shared.queue_tx.is_closed()
    }

    /// A live snapshot of the pool's book-keeping.
    pub fn stats(&self) -> PoolStats {
        self.shared.stats()
    }

    /// The results stream, if [`results`](WorkerPoolBuilder::results) turned it on: one
    /// [`JobStatus`](crate::JobStatus) per job, whoever holds its handle. The first call
    /// takes the reader the pool kept since it was built (so no status is missed); later
    /// calls return clones of it while one is alive.
    pub fn results(&self) -> Option<Results<O>> {
        self.shared.results.as_ref()?.take_reader()
    }

    /// Starts the workers. Jobs submitted before this wait in the queue and run now.
    ///
    /// Call it from within the runtime of the backend (some runtimes, tokio for one, can only
    /// spawn from inside).
    ///
    /// # Errors
    ///
    /// [`StartError::AlreadyStarted`] on a second call, [`StartError::ShutDown`] after a
    /// shutdown: a pool runs once.
    pub fn start(&self) -> Result<(), StartError> {
        let mut lifecycle = self.lifecycle();
        match lifecycle.phase {
            Phase::Built => {}
            Phase::Running => return Err(StartError::AlreadyStarted),
            Phase::Stopping | Phase::Stopped => return Err(StartError::ShutDown),
        }
        lifecycle.phase = Phase::Running;
        let shared = &self.shared;
        for worker_id in 0..shared.counters.len() {
            let alive = shared.live_workers.enter();
            let task = shared
                .executor
                .spawn(work(Arc::clone(shared), worker_id, alive));
            lifecycle.tasks.push(task);
        }
        tracing::info!(
            pool = %self.name(),
            pool_id = self.id(),
            uuid = %self.uuid(),
            workers = shared.counters.len(),
            "{}",
            self.start_message
        );
        Ok(())
    }

    /// Queues `job`, waiting for room if the queue is full, and returns a handle to its
    /// outcome.
    ///
    /// # Errors
    ///
    /// If the pool no longer accepts jobs, the job comes back in the [`SubmitError`].
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it resolves, the job was not queued.
    pub async fn submit<J>(&self, job: J) -> Result<JobHandle<O>, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let (reply, outcome) = futures_channel::oneshot::channel();
        let id = self.enqueue(job, Some(reply)).await.map_err(SubmitError)?;
        Ok(JobHandle::new(id, outcome))
    }

    /// Queues `job` if there is room now, and returns a handle to its outcome.
    ///
    /// # Errors
    ///
    /// [`TrySubmitError::Full`] or [`TrySubmitError::Closed`], with the job.
    ///
    /// # Examples
    ///
    /// Shedding load instead of waiting when the queue is full:
    ///
    /// ```
    /// use pool_core::{job_fn, Executor, TrySubmitError, WorkerPool};
    ///
    /// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<E>::builder().workers(1).queue_capacity(1).build()?;
    /// match pool.try_submit(job_fn("report", |_ctx| async { Ok(()) })) {
    ///     Ok(handle) => println!("queued as {}", handle.id()),
    ///     Err(TrySubmitError::Full(_job)) => eprintln!("busy: try again later"),
    ///     Err(TrySubmitError::Closed(_job)) => eprintln!("shutting down"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_submit<J>(&self, job: J) -> Result<JobHandle<O>, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let (reply, outcome) = futures_channel::oneshot::channel();
        let id = self.try_enqueue(job, Some(reply))?;
        Ok(JobHandle::new(id, outcome))
    }

    /// [`submit`](Self::submit) without a handle: the cheapest way in, for jobs whose
    /// outcome only the [results stream](Self::results) and [`stats`](Self::stats) need.
    ///
    /// # Errors
    ///
    /// As [`submit`](Self::submit).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::{job_fn, Executor, WorkerPool};
    ///
    /// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<E>::builder().build()?;
    /// pool.start()?;
    /// for _ in 0..1_000 {
    ///     pool.submit_detached(job_fn("log-line", |_ctx| async { Ok(()) })).await?;
    /// }
    /// let report = pool.shutdown().await?;
    /// assert_eq!(report.stats.completed, 1_000);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn submit_detached<J>(&self, job: J) -> Result<JobId, SubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        self.enqueue(job, None).await.map_err(SubmitError)
    }

    /// [`try_submit`](Self::try_submit) without a handle.
    ///
    /// # Errors
    ///
    /// As [`try_submit`](Self::try_submit).
    pub fn try_submit_detached<J>(&self, job: J) -> Result<JobId, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        self.try_enqueue(job, None)
    }

    async fn enqueue<J>(&self, job: J, reply: Option<Reply<O>>) -> Result<JobId, J>
    where
        J: JobProcessor<Output = O>,
    {
        let intake = &self.shared.intake;
        loop {
            match intake.admit() {
                Admission::Admitted => break,
                Admission::Exhausted => return Err(job),
                // Rare: only with `max_jobs`, when the last slots are held by sends that may
                // still fail. Let them finish.
                Admission::Contended => futures_lite::future::yield_now().await,
            }
        }
        // The common case, a queue with room, needs no send future.
        let envelope = match self.send_now(Envelope::new(intake.issue_id(), job, reply)) {
            Ok(id) => return Ok(id),
            Err(TrySendError::Closed(envelope)) => return Err(envelope.into_job()),
            Err(TrySendError::Full(envelope)) => envelope,
        };
        // Until the send completes, the id counts as rejected: this future may be dropped
        // while it waits for room, and the job is then not queued.
        let id = envelope.id;
        let pending = PendingSend {
            intake,
            sent: false,
        };
        match self.shared.queue_tx.send(envelope).await {
            Ok(()) => {
                pending.sent();
                self.accepted();
                Ok(id)
            }
            Err(SendError(envelope)) => Err(envelope.into_job()),
        }
    }

    fn try_enqueue<J>(&self, job: J, reply: Option<Reply<O>>) -> Result<JobId, TrySubmitError<J>>
    where
        J: JobProcessor<Output = O>,
    {
        let intake = &self.shared.intake;
        match intake.admit() {
            Admission::Admitted => {}
            Admission::Exhausted => return Err(TrySubmitError::Closed(job)),
            Admission::Contended => return Err(TrySubmitError::Full(job)),
        }
        let envelope = Envelope::new(intake.issue_id(), job, reply);
        let full = match self.send_now(envelope) {
            Ok(id) => return Ok(id),
            Err(TrySendError::Closed(envelope)) => {
                return Err(TrySubmitError::Closed(envelope.into_job()));
            }
            Err(TrySendError::Full(envelope)) => envelope,
        };
        self.shared.intake.rejected();
        Err(TrySubmitError::Full(full.into_job()))
    }

    /// Queues an admitted envelope if there is room now. A closed queue rejects it for good;
    /// a full one leaves the caller to decide (wait, or reject).
    fn send_now(&self, envelope: Envelope<O>) -> Result<JobId, TrySendError<Envelope<O>>> {
        let id = envelope.id;
        match self.shared.queue_tx.try_send(envelope) {
            Ok(()) => {
                self.accepted();
                Ok(id)
            }
            Err(TrySendError::Closed(envelope)) => {
                self.shared.intake.rejected();
                Err(TrySendError::Closed(envelope))
            }
            Err(full) => Err(full),
        }
    }

    fn accepted(&self) {
        if self.shared.intake.accepted() {
            tracing::info!(pool = %self.name(), "max_jobs reached: intake closed, draining");
            self.shared.close_intake();
        }
    }

    pub(crate) fn shared(&self) -> &Shared<E, O> {
        &self.shared
    }

    pub(crate) fn lifecycle(&self) -> MutexGuard<'_, Lifecycle<E::Task>> {
        lock(&self.lifecycle)
    }
}

/// An admitted job on its way into the queue; rejected unless [`sent`](Self::sent) is called.
struct PendingSend<'a> {
    intake: &'a Intake,
    sent: bool,
}

impl PendingSend<'_> {
    fn sent(mut self) {
        self.sent = true;
    }
}

impl Drop for PendingSend<'_> {
    fn drop(&mut self) {
        if !self.sent {
            self.intake.rejected();
        }
    }
}

impl<E: Executor, O: Send + 'static> Drop for WorkerPool<E, O> {
    /// Dropping a started pool closes its intake and lets the workers finish the queue in the
    /// background: accepted jobs still run and their handles still resolve. Dropping a pool
    /// that never started resolves the handles of its queued jobs to `NotStarted`.
    fn drop(&mut self) {
        let phase = self.lifecycle().phase;
        match phase {
            // A shutdown ran (or began and was dropped halfway; its workers carry on).
            Phase::Stopping | Phase::Stopped => {}
            Phase::Running => {
                self.shared.close_intake();
                tracing::debug!(
                    pool = %self.shared.identity.name,
                    queued = self.shared.queue_rx.len(),
                    "pool dropped without a shutdown: its workers finish the queue in the background"
                );
            }
            Phase::Built => {
                self.shared.close_intake();
                let mut handed_back = 0_usize;
                while let Ok(envelope) = self.shared.queue_rx.try_recv() {
                    self.shared.hand_back_now(envelope);
                    handed_back += 1;
                }
                if handed_back > 0 {
                    tracing::warn!(
                        pool = %self.shared.identity.name,
                        handed_back,
                        "pool dropped before it was started: its queued jobs will not run"
                    );
                }
            }
        }
    }
}

impl<E: Executor, O: Send + 'static> fmt::Debug for WorkerPool<E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("id", &self.shared.identity.id)
            .field("uuid", &self.shared.identity.uuid)
            .field("name", &self.shared.identity.name)
            .field("stats", &self.shared.stats())
            .finish_non_exhaustive()
    }
}
