//! Configuring a pool.

use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::time::Duration;

use crate::observe::results_sink::ResultsConfig;
use crate::{BuildError, CancellationToken, Executor, WorkerPool};

/// The most workers a pool may have.
pub const MAX_WORKERS: usize = 1 << 20;

/// The largest queue (and results stream) a pool may have. A bounded queue allocates its
/// slots up front, so a typo of a few zeros should be an error, not an out-of-memory abort.
pub const MAX_QUEUE_CAPACITY: usize = 1 << 24;

/// How many queue slots a pool gets per worker unless told otherwise.
pub const QUEUE_SLOTS_PER_WORKER: usize = 100;

/// Builds a [`WorkerPool`]; from [`WorkerPool::builder`] or [`WorkerPool::with_executor`].
///
/// Every setting has a default: as many workers as the machine has cores, a queue of
/// [`QUEUE_SLOTS_PER_WORKER`] slots per worker, no job timeout, no job limit, no results
/// stream, and a fresh cancellation token.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use pool_tokio::{CancellationToken, WorkerPool};
///
/// # fn main() -> Result<(), pool_tokio::BuildError> {
/// let upstream = CancellationToken::new();
/// let pool = WorkerPool::<String>::builder()
///     .name("thumbnails")
///     .workers(16)
///     .queue_capacity(1_000)
///     .job_timeout(Duration::from_secs(30))
///     .cancellation(upstream.clone())
///     .start_message("thumbnail pool up")
///     .cancel_message("thumbnail pool going down")
///     .build()?;
/// assert_eq!(pool.name(), "thumbnails");
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct WorkerPoolBuilder<E, O = ()> {
    pub(crate) executor: E,
    pub(crate) name: Option<String>,
    pub(crate) workers: usize,
    pub(crate) min_workers: Option<usize>,
    pub(crate) max_workers: Option<usize>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) queue_capacity: Option<usize>,
    pub(crate) start_message: String,
    pub(crate) cancel_message: String,
    pub(crate) job_timeout: Option<Duration>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) max_jobs: Option<u64>,
    pub(crate) parent: Option<CancellationToken>,
    pub(crate) timings: bool,
    output: PhantomData<fn() -> O>,
}

impl<E: Executor, O: Send + 'static> WorkerPoolBuilder<E, O> {
    pub(crate) fn new(executor: E) -> Self {
        Self {
            executor,
            name: None,
            workers: std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            min_workers: None,
            max_workers: None,
            idle_timeout: None,
            queue_capacity: None,
            start_message: "worker pool started".to_owned(),
            cancel_message: "worker pool stopping".to_owned(),
            job_timeout: None,
            shutdown_grace: Duration::from_secs(5),
            max_jobs: None,
            parent: None,
            timings: false,
            output: PhantomData,
        }
    }

    /// The pool's name, for logs and [`JobContext::pool_name`](crate::JobContext::pool_name).
    /// Defaults to `pool-<id>`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How many workers run jobs: at most this many jobs run at once, until a
    /// [`resize`](crate::WorkerPool::resize). At least 1, at most [`MAX_WORKERS`]. For an
    /// [elastic](Self::idle_timeout) pool, the most it grows to.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// The most workers the pool may ever have: the ceiling of
    /// [`resize`](crate::WorkerPool::resize). Defaults to `workers`, so a pool can shrink and
    /// grow back but not past its starting size unless it says so here: per-worker state is
    /// sized for this many when the pool is built (about 200 bytes a worker, 1 KiB more with
    /// timings), so that nothing on a job's path grows or locks. At most [`MAX_WORKERS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::WorkerPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().workers(4).max_workers(64).build()?;
    /// pool.start()?;
    /// pool.resize(32)?; // the evening peak
    /// assert_eq!(pool.stats().workers, 32);
    /// pool.resize(2)?; // the night
    /// assert_eq!(pool.stats().workers, 2);
    /// assert!(pool.resize(65).is_err());
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_workers(mut self, max: usize) -> Self {
        self.max_workers = Some(max);
        self
    }

    /// Makes the pool elastic: a worker that waits `timeout` for a job and finds none retires,
    /// down to [`min_workers`](Self::min_workers) (1 unless set), and the pool grows back
    /// towards its size when a job is queued and no worker is idle to take it. It starts with
    /// the minimum. Must be longer than zero.
    ///
    /// The cost, for elastic pools only: a timer per idle wait of a worker above the minimum,
    /// an atomic count of idle workers (bumped per idle wait, not per job), and a fence per
    /// submit. Growth spawns from the submitter, so a submit from outside the runtime (tokio
    /// without a handle) does not grow the pool; the workers alive still run its job.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Between 2 and 16 workers; idle ones above 2 retire after a minute.
    /// let pool = WorkerPool::<()>::builder()
    ///     .workers(16)
    ///     .min_workers(2)
    ///     .idle_timeout(Duration::from_secs(60))
    ///     .build()?;
    /// pool.start()?;
    /// assert_eq!(pool.stats().live_workers, 2);
    /// for _ in 0..100 {
    ///     pool.submit_detached(job_fn("tick", |_ctx| async { Ok(()) })).await?;
    /// }
    /// let stats = pool.shutdown().await?.stats;
    /// assert_eq!((stats.min_workers, stats.workers, stats.completed), (2, 16, 100));
    /// # Ok(())
    /// # }
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The fewest workers an [elastic](Self::idle_timeout) pool keeps: idle workers above it
    /// retire. Between 1 and `workers`; needs an `idle_timeout`. Defaults to 1.
    pub fn min_workers(mut self, min: usize) -> Self {
        self.min_workers = Some(min);
        self
    }

    /// How many accepted jobs may wait for a worker before `submit` waits and `try_submit`
    /// says [`Full`](crate::TrySubmitError::Full). Defaults to [`QUEUE_SLOTS_PER_WORKER`] per
    /// worker (capped at [`MAX_QUEUE_CAPACITY`]).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// Logged (through `tracing`, at `INFO`) when the pool starts.
    pub fn start_message(mut self, message: impl Into<String>) -> Self {
        self.start_message = message.into();
        self
    }

    /// Logged (through `tracing`, at `INFO`) when the pool begins to stop.
    pub fn cancel_message(mut self, message: impl Into<String>) -> Self {
        self.cancel_message = message.into();
        self
    }

    /// Stops any job that runs longer than `limit`; its outcome is
    /// [`TimedOut`](crate::JobErrorKind::TimedOut). The job's future is dropped at its
    /// next suspension point: a job that blocks its thread is stopped only once it returns
    /// to the runtime. Must be longer than zero.
    pub fn job_timeout(mut self, limit: Duration) -> Self {
        self.job_timeout = Some(limit);
        self
    }

    /// Records how long each job waited in the queue and how long it ran, into histograms
    /// that [`stats().timings`](crate::PoolStats::timings) reads as percentiles. Off by
    /// default: it reads the clock twice per job, and a job of size zero is then boxed to
    /// carry its submit time.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().timings(true).build()?;
    /// pool.start()?;
    /// for _ in 0..100 {
    ///     pool.submit_detached(job_fn("tick", |_ctx| async { Ok(()) })).await?;
    /// }
    /// let report = pool.shutdown().await?;
    /// let timings = report.stats.timings.expect("asked for");
    /// assert_eq!(timings.run.count, 100);
    /// assert!(timings.queue_wait.p50 <= timings.queue_wait.p99);
    /// # Ok(())
    /// # }
    /// ```
    pub fn timings(mut self, on: bool) -> Self {
        self.timings = on;
        self
    }

    /// How long [`shutdown_timeout`](crate::WorkerPool::shutdown_timeout) lets running jobs
    /// react to cancellation before it aborts them. Defaults to 5 seconds.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Accepts `max` jobs, then closes the intake by itself; the workers finish the queue.
    /// Later submissions get their job back as `Closed`.
    pub fn max_jobs(mut self, max: u64) -> Self {
        self.max_jobs = Some(max);
        self
    }

    /// Ties the pool to an upstream token: cancelling it stops the pool as
    /// [`shutdown_now`](crate::WorkerPool::shutdown_now) does. The pool works with a child
    /// of `parent`, so its own shutdowns leave `parent` alone.
    pub fn cancellation(mut self, parent: CancellationToken) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Checks the configuration and builds the pool. It does not start it: jobs submitted
    /// before [`start`](crate::WorkerPool::start) wait in the queue.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] for 0 or too many workers, `max_workers` below `workers`, a
    /// `min_workers` out of range or without `idle_timeout`, a 0 or too large queue,
    /// `max_jobs(0)`, or a zero `job_timeout` or `idle_timeout`.
    pub fn build(self) -> Result<WorkerPool<E, O>, BuildError> {
        let queue_capacity = self.check()?;
        Ok(WorkerPool::new(self, queue_capacity, None).0)
    }

    /// The ceiling of `resize`.
    pub(crate) fn worker_ceiling(&self) -> usize {
        self.max_workers.unwrap_or(self.workers)
    }

    /// The queue's capacity, once the configuration is checked.
    fn check(&self) -> Result<usize, BuildError> {
        if self.workers == 0 {
            return Err(BuildError::ZeroWorkers);
        }
        if self.workers > MAX_WORKERS {
            return Err(BuildError::TooManyWorkers(self.workers));
        }
        let max = self.worker_ceiling();
        if max < self.workers {
            return Err(BuildError::MaxBelowWorkers {
                workers: self.workers,
                max,
            });
        }
        if max > MAX_WORKERS {
            return Err(BuildError::TooManyWorkers(max));
        }
        match (self.min_workers, self.idle_timeout) {
            (Some(_), None) => return Err(BuildError::MinWorkersWithoutIdleTimeout),
            (Some(min), _) if min == 0 || min > self.workers => {
                return Err(BuildError::MinWorkersOutOfRange {
                    min,
                    workers: self.workers,
                });
            }
            (_, Some(Duration::ZERO)) => return Err(BuildError::ZeroIdleTimeout),
            _ => {}
        }
        let queue_capacity = self
            .queue_capacity
            .unwrap_or_else(|| (self.workers * QUEUE_SLOTS_PER_WORKER).min(MAX_QUEUE_CAPACITY));
        if queue_capacity == 0 {
            return Err(BuildError::ZeroQueueCapacity);
        }
        if queue_capacity > MAX_QUEUE_CAPACITY {
            return Err(BuildError::QueueTooLarge(queue_capacity));
        }
        if self.max_jobs == Some(0) {
            return Err(BuildError::ZeroMaxJobs);
        }
        if self.job_timeout == Some(Duration::ZERO) {
            return Err(BuildError::ZeroJobTimeout);
        }
        Ok(queue_capacity)
    }
}

impl<E: Executor, O: Clone + Send + 'static> WorkerPoolBuilder<E, O> {
    /// Builds the pool with a results stream, and returns the stream's reader with it: one
    /// [`JobStatus`](crate::JobStatus) per job, whoever holds its handle, up to `capacity`
    /// unread. Each job's outcome goes both to its handle and to the stream, so the output
    /// must be `Clone` (a job without a handle, or whose handle was dropped, moves its output
    /// into the stream instead).
    ///
    /// The pool keeps no reader of its own: drop every reader and the stream is off. A reader
    /// that does not keep up slows the running pool down, but never holds up a shutdown: see
    /// [`Results`](crate::Results).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), and for a `capacity` of 0 or more than
    /// [`MAX_QUEUE_CAPACITY`].
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (pool, results) = WorkerPool::<u32>::builder().build_with_results(256)?;
    /// pool.start()?;
    /// pool.submit_detached(job_fn("one", |_ctx| async { Ok(1) })).await?;
    /// pool.shutdown().await?;
    /// let statuses: Vec<_> = results.collect().await;
    /// assert_eq!(statuses.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn build_with_results(
        self,
        capacity: usize,
    ) -> Result<(WorkerPool<E, O>, crate::Results<O>), BuildError> {
        let queue_capacity = self.check()?;
        if capacity == 0 {
            return Err(BuildError::ZeroResultsCapacity);
        }
        if capacity > MAX_QUEUE_CAPACITY {
            return Err(BuildError::ResultsTooLarge(capacity));
        }
        let (pool, reader) = WorkerPool::new(
            self,
            queue_capacity,
            Some(ResultsConfig {
                capacity,
                clone_output: O::clone,
            }),
        );
        Ok((pool, reader.expect("a results stream was asked for")))
    }
}

impl<E, O> fmt::Debug for WorkerPoolBuilder<E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPoolBuilder")
            .field("name", &self.name)
            .field("workers", &self.workers)
            .field("min_workers", &self.min_workers)
            .field("max_workers", &self.max_workers)
            .field("idle_timeout", &self.idle_timeout)
            .field("timings", &self.timings)
            .field("queue_capacity", &self.queue_capacity)
            .field("job_timeout", &self.job_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("max_jobs", &self.max_jobs)
            .finish_non_exhaustive()
    }
}
