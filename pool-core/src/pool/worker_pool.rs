//! The pool itself: identity, start, submission and book-keeping. Shutdown is in
//! `shutdown.rs`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, MutexGuard, Weak};
use std::time::Duration;

use uuid::Uuid;

use crate::observe::results_sink::{ResultsConfig, ResultsSink};
use crate::pool::lifecycle::{Lifecycle, Phase};
use crate::pool::state::PoolState;
use crate::run::roster::Roster;
use crate::sync::lock::lock;
use crate::{CancellationToken, Executor, PoolStats, Results, StartError, WorkerPoolBuilder};

// Process-wide pool ids, in the order pools are built.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// A fixed team of workers pulling jobs from a bounded queue.
///
/// `E` is the runtime (pick a backend crate: `pool-tokio`, `pool-smol`, `pool-async-std`),
/// `O` what the jobs produce. The pool is built once, started once and shut down once. Clone
/// it to share it between producers: the clones are handles to one pool (a reference count),
/// and the pool is dropped with its last clone.
///
/// # No job is lost
///
/// Every accepted job ends in exactly one outcome, which reaches its [`JobHandle`](crate::JobHandle), the
/// [results stream](WorkerPoolBuilder::build_with_results) and [`stats`](Self::stats):
///
/// | how the pool stops | queued jobs | running jobs |
/// |---|---|---|
/// | [`shutdown`](Self::shutdown) | run | finish |
/// | [`shutdown_now`](Self::shutdown_now), or the parent token is cancelled | handed back, `NotStarted` | see cancellation; awaited |
/// | [`shutdown_timeout(d)`](Self::shutdown_timeout) | run until `d`, then handed back | awaited until `d`, then cancelled, then aborted after the grace period |
/// | dropped after `start`, without a shutdown | run, in the background | finish, in the background |
/// | dropped before `start` | handles resolve to `NotStarted` | none |
///
/// # Comparison to `JoinSet` + `Semaphore`
///
/// A `JoinSet` whose tasks first take a `Semaphore` permit bounds how many jobs *run* at once,
/// but spawns a task per job up front: a million jobs are a million tasks holding their
/// futures, waiting for permits. Here a million jobs are a bounded queue of boxed jobs and `N`
/// worker tasks; `submit` waits when the queue is full (back-pressure), and the pool adds what
/// the pair lacks: a shutdown that hands back the jobs that never started, job timeouts,
/// panics contained per job, stats, and a results stream. [`JobSet`](crate::JobSet) gives the
/// `join_next` way of collecting outcomes.
///
/// # Comparison to `TaskTracker`
///
/// tokio-util's `TaskTracker` waits for tasks to finish, without bounding or queueing them. A
/// pool's [`shutdown`](Self::shutdown) waits the same way for every job it accepted, and its
/// other modes stop sooner and say what became of each job.
///
/// # Examples
///
/// ```
/// use pool_tokio::{job_fn, WorkerPool};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<usize>::builder().name("lengths").workers(4).build()?;
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
    inner: Arc<PoolInner<E, O>>,
}

/// What the clones of a pool share. Its drop is the pool's drop: when the last clone goes.
/// (The workers hold the state, not this.)
pub(crate) struct PoolInner<E: Executor, O: Send + 'static> {
    pub(crate) state: Arc<PoolState<E, O>>,
    start_message: String,
    pub(crate) cancel_message: String,
    pub(crate) shutdown_grace: Duration,
}

impl<E: Executor, O: Send + 'static> Clone for WorkerPool<E, O> {
    /// Another handle to the same pool, for another producer: cheap (a reference count).
    /// Dropping a clone does nothing; dropping the last one drops the pool.
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
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

    /// The pool, and the reader of its results stream if `results` asks for one.
    pub(crate) fn new(
        config: WorkerPoolBuilder<E, O>,
        queue_capacity: usize,
        results: Option<ResultsConfig<O>>,
    ) -> (Self, Option<Results<O>>) {
        let id = NEXT_POOL_ID.fetch_add(1, Relaxed);
        let token = match &config.parent {
            Some(parent) => parent.child_token(),
            None => CancellationToken::new(),
        };
        let name = config.name.unwrap_or_else(|| format!("pool-{id}"));
        let (sink, reader) = match results {
            Some(config) => {
                let (sink, reader) = ResultsSink::pair(config, token.child_token());
                (Some(sink), Some(reader))
            }
            None => (None, None),
        };
        let max = config.max_workers.unwrap_or(config.workers);
        let min = match config.idle_timeout {
            Some(_) => config.min_workers.unwrap_or(1),
            None => max,
        };
        let roster = Roster::new(config.workers, min, max, config.idle_timeout);
        let state = PoolState::new(
            config.executor,
            id,
            name,
            token,
            roster,
            queue_capacity,
            config.max_jobs,
            config.job_timeout,
            sink,
            config.timings,
        );
        let inner = Arc::new(PoolInner {
            state,
            start_message: config.start_message,
            cancel_message: config.cancel_message,
            shutdown_grace: config.shutdown_grace,
        });
        let pool = Self { inner };
        (pool, reader)
    }

    /// The pool's process-wide id: 1 for the first pool built, 2 for the next...
    pub fn id(&self) -> u64 {
        self.inner.state.identity.id
    }

    /// The pool's UUID (version 4), unique across processes.
    pub fn uuid(&self) -> Uuid {
        self.inner.state.identity.uuid
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.inner.state.identity.name
    }

    /// The pool's own cancellation token, as jobs see it in their
    /// [`JobContext`](crate::JobContext). Cancelling it stops the pool as
    /// [`shutdown_now`](Self::shutdown_now) does, without waiting.
    pub fn cancellation_token(&self) -> &CancellationToken {
        self.inner.state.token()
    }

    /// Whether the pool has stopped accepting jobs (shut down, cancelled, or `max_jobs`
    /// reached).
    pub fn is_closed(&self) -> bool {
        self.inner.state.queue_tx.is_closed()
    }

    /// A live snapshot of the pool's book-keeping.
    pub fn stats(&self) -> PoolStats {
        self.inner.state.stats()
    }

    /// Starts the workers. Jobs submitted before this wait in the queue and run now.
    ///
    /// Call it from within the runtime of the backend: tokio can only spawn from inside a
    /// runtime (or give the executor a handle, with `TokioExecutor::with_handle`).
    ///
    /// # Errors
    ///
    /// [`StartError::AlreadyStarted`] on a second call, [`StartError::ShutDown`] after a
    /// shutdown: a pool runs once. [`StartError::NoRuntime`] if the executor cannot spawn
    /// from here; nothing has changed then, and `start` may be called again from where it can.
    pub fn start(&self) -> Result<(), StartError> {
        let mut lifecycle = self.lifecycle();
        match lifecycle.phase {
            Phase::Built => {}
            Phase::Running => return Err(StartError::AlreadyStarted),
            Phase::Stopping | Phase::Stopped => return Err(StartError::ShutDown),
        }
        let state = &self.inner.state;
        // Before anything changes: a runtime that panics in `spawn` would leave the pool
        // half-started.
        state.executor.check_runtime()?;
        lifecycle.phase = Phase::Running;
        state.mark_started();
        state.fill_seats(&mut lifecycle);
        tracing::info!(
            pool = %self.name(),
            pool_id = self.id(),
            uuid = %self.uuid(),
            workers = state.roster.size(),
            live_workers = state.live_workers.count(),
            "{}",
            self.inner.start_message
        );
        Ok(())
    }

    /// A reference to the pool that does not keep it alive.
    pub(crate) fn downgrade(&self) -> Weak<PoolInner<E, O>> {
        Arc::downgrade(&self.inner)
    }

    /// The pool behind `weak`, if any clone of it is still alive.
    pub(crate) fn upgrade(weak: &Weak<PoolInner<E, O>>) -> Option<Self> {
        weak.upgrade().map(|inner| Self { inner })
    }

    pub(crate) fn inner(&self) -> &PoolInner<E, O> {
        &self.inner
    }

    pub(crate) fn state(&self) -> &Arc<PoolState<E, O>> {
        &self.inner.state
    }

    pub(crate) fn lifecycle(&self) -> MutexGuard<'_, Lifecycle<E::Task>> {
        lock(&self.inner.state.lifecycle)
    }
}

impl<E: Executor, O: Send + 'static> Drop for PoolInner<E, O> {
    /// Dropping the last clone of a started pool closes its intake and lets the workers finish the queue in the
    /// background: accepted jobs still run and their handles still resolve. Dropping a pool
    /// that never started resolves the handles of its queued jobs to `NotStarted`.
    fn drop(&mut self) {
        let mut lifecycle = lock(&self.state.lifecycle);
        let phase = lifecycle.phase;
        if phase == Phase::Running {
            lifecycle.phase = Phase::Stopping;
        }
        drop(lifecycle);
        match phase {
            // A shutdown ran (or began and was dropped halfway; its workers carry on).
            Phase::Stopping | Phase::Stopped => {}
            Phase::Running => {
                self.state.close_intake();
                if let Some(sink) = &self.state.results {
                    sink.stop_waiting();
                }
                tracing::debug!(
                    pool = %self.state.identity.name,
                    queued = self.state.queue_rx.len(),
                    "pool dropped without a shutdown: its workers finish the queue in the background"
                );
            }
            Phase::Built => {
                self.state.close_intake();
                let handed_back = self.state.drain_queue();
                if handed_back > 0 {
                    tracing::warn!(
                        pool = %self.state.identity.name,
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
            .field("id", &self.inner.state.identity.id)
            .field("uuid", &self.inner.state.identity.uuid)
            .field("name", &self.inner.state.identity.name)
            .field("stats", &self.inner.state.stats())
            .finish_non_exhaustive()
    }
}
