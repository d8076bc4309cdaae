//! Stopping a pool: gracefully, now, or gracefully until a deadline.

use std::time::Duration;

use futures_lite::future;

use crate::pool::lifecycle::Phase;
use crate::rt::timer::sleep_on_a_thread;
use crate::{Executor, ShutdownError, ShutdownReport, WorkerPool};

/// How a shutdown treats the work in the pool.
#[derive(Clone, Copy, Debug)]
enum ShutdownMode {
    Graceful,
    Now,
    Deadline(Duration),
}

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// Stops gracefully: closes the intake, lets the workers run every queued job, and waits
    /// for them. Returns the final stats.
    ///
    /// A pool that was never started runs nothing: its queued jobs come back in the report's
    /// `unstarted`.
    ///
    /// It waits for running jobs, not for readers: a [results](crate::Results) reader that
    /// does not read never holds it up (statuses that do not fit wait for the reader after the
    /// stream's others). A job that ignores cancellation is waited for; bound the wait with
    /// [`shutdown_timeout`](Self::shutdown_timeout).
    ///
    /// To escalate a graceful shutdown that takes too long (a second Ctrl-C, say), cancel the
    /// pool's [token](Self::cancellation_token) or its parent: the shutdown in progress then
    /// proceeds as `shutdown_now` would, and its report returns the jobs that never started.
    ///
    /// # Errors
    ///
    /// [`ShutdownError::AlreadyShutDown`] if a shutdown was already called; this call then
    /// does nothing.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future halfway leaves the pool stopping: the workers finish the queue,
    /// and no later shutdown can be called.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{ShutdownError, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().build()?;
    /// pool.start()?;
    /// let report = pool.shutdown().await?;
    /// println!("{:?}", report.stats);
    /// assert_eq!(pool.shutdown().await.unwrap_err(), ShutdownError::AlreadyShutDown);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) -> Result<ShutdownReport<O>, ShutdownError> {
        self.stop(ShutdownMode::Graceful).await
    }

    /// Stops now: closes the intake, cancels the pool's token (running jobs see it and may
    /// stop), waits for the running jobs, and hands back every job that never started.
    ///
    /// The jobs come back in the report's `unstarted`; their handles resolve to
    /// [`NotStarted`](crate::JobErrorKind::NotStarted). A running job that ignores
    /// cancellation is waited for: use [`shutdown_timeout`](Self::shutdown_timeout) to bound
    /// the wait. A [results](crate::Results) reader that does not read never holds it up.
    ///
    /// # Errors
    ///
    /// As [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// Stopping now and keeping the jobs that never ran, to queue them elsewhere:
    ///
    /// ```
    /// use pool_tokio::WorkerPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().workers(4).build()?;
    /// pool.start()?;
    /// // ... submit jobs, then, at the first sign of trouble:
    /// let report = pool.shutdown_now().await?;
    /// println!("{} jobs come back", report.unstarted.len());
    /// for job in report.unstarted {
    ///     let _job = job.into_job(); // or `job.downcast::<MyJob>()`, to get your own type back
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown_now(&self) -> Result<ShutdownReport<O>, ShutdownError> {
        self.stop(ShutdownMode::Now).await
    }

    /// Stops gracefully for up to `timeout`, then as [`shutdown_now`](Self::shutdown_now);
    /// jobs that still run after the [grace period](crate::WorkerPoolBuilder::shutdown_grace)
    /// are aborted through the executor, and resolve to
    /// [`Aborted`](crate::JobErrorKind::Aborted).
    ///
    /// It returns within `timeout` plus the grace period (and scheduling slack), whatever the
    /// jobs and the [results](crate::Results) readers do, with one exception no pool can
    /// avoid: a job that blocks its thread in a synchronous call can be aborted only when that
    /// call returns, and the shutdown then returns when it does. The deadlines are timed on a
    /// thread of their own, so they fire on time even when jobs block every runtime thread.
    ///
    /// # Errors
    ///
    /// As [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_tokio::WorkerPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder()
    ///     .shutdown_grace(Duration::from_secs(2))
    ///     .build()?;
    /// pool.start()?;
    /// // Ten seconds to finish, two more to react to cancellation, then abort.
    /// let report = pool.shutdown_timeout(Duration::from_secs(10)).await?;
    /// assert_eq!(report.stats.submitted, report.stats.finished());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown_timeout(
        &self,
        timeout: Duration,
    ) -> Result<ShutdownReport<O>, ShutdownError> {
        self.stop(ShutdownMode::Deadline(timeout)).await
    }

    async fn stop(&self, how: ShutdownMode) -> Result<ShutdownReport<O>, ShutdownError> {
        {
            let mut lifecycle = self.lifecycle();
            if matches!(lifecycle.phase, Phase::Stopping | Phase::Stopped) {
                return Err(ShutdownError::AlreadyShutDown);
            }
            lifecycle.phase = Phase::Stopping;
        }
        let state = self.state();
        state.close_intake();
        if let Some(sink) = &state.results {
            sink.stop_waiting();
        }
        tracing::info!(pool = %self.name(), mode = ?how, "{}", self.inner().cancel_message);
        match how {
            ShutdownMode::Graceful => {}
            ShutdownMode::Now => state.token().cancel(),
            ShutdownMode::Deadline(timeout) => {
                if !self.workers_stop_within(timeout).await {
                    state.token().cancel();
                    if !self.workers_stop_within(self.inner().shutdown_grace).await {
                        self.abort_workers().await;
                    }
                }
            }
        }
        state.live_workers.wait().await;
        state.drain_queue();
        state.mark_stopped();
        if let Some(sink) = &state.results {
            sink.close();
        }
        self.lifecycle().phase = Phase::Stopped;
        let report = ShutdownReport {
            stats: state.stats(),
            unstarted: state.take_unstarted(),
        };
        let stats = &report.stats;
        tracing::info!(
            pool = %self.name(),
            submitted = stats.submitted,
            completed = stats.completed,
            failed = stats.failed,
            cancelled = stats.cancelled,
            panicked = stats.panicked,
            timed_out = stats.timed_out,
            aborted = stats.aborted,
            not_started = stats.not_started,
            "worker pool stopped"
        );
        tracing::debug!(pool = %self.name(), ?stats, "the stopped pool's stats");
        Ok(report)
    }

    /// Whether every worker has stopped within `limit`.
    async fn workers_stop_within(&self, limit: Duration) -> bool {
        let state = self.state();
        let stopped = async {
            state.live_workers.wait().await;
            true
        };
        // Not the runtime's timer: a deadline must fire even if jobs block every runtime
        // thread (tokio's timers stop with its threads).
        let expired = async {
            sleep_on_a_thread(limit, state.executor.sleep(limit)).await;
            false
        };
        future::or(stopped, expired).await
    }

    async fn abort_workers(&self) {
        let tasks: Vec<_> = self
            .lifecycle()
            .tasks
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        let state = self.state();
        tracing::warn!(
            pool = %self.name(),
            busy = state.stats().busy,
            "jobs ignored cancellation past the grace period: aborting their workers"
        );
        for task in tasks {
            state.executor.abort(task).await;
        }
    }
}
