//! The pool's stats through the `metrics` facade (feature `metrics`), so that any exporter
//! (Prometheus, StatsD, OpenTelemetry) picks them up. Every metric has a `pool` label with the
//! pool's name.

use metrics::{counter, gauge};

use crate::{Executor, WorkerPool};

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// Publishes the pool's [`stats`](Self::stats) as `metrics` counters (the `*_total`
    /// ones, set to their absolute values) and gauges: call it whenever the exporter is about
    /// to read (on a scrape, or every few seconds from a task of your own). With
    /// [`timings(true)`](crate::WorkerPoolBuilder::timings), each job's queue wait and run
    /// time also go, as they happen, to the histograms `pool_job_queue_wait_seconds` and
    /// `pool_job_run_seconds`.
    ///
    /// Install the exporter's recorder before the pool starts: the workers take their
    /// histogram handles when they start, and handles taken before any recorder is installed
    /// record nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{job_fn, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // metrics_exporter_prometheus::PrometheusBuilder::new().install()?; // say
    /// let pool = WorkerPool::<()>::builder().name("mailer").timings(true).build()?;
    /// pool.start()?;
    /// pool.submit_detached(job_fn("send", |_ctx| async { Ok(()) })).await?;
    /// pool.record_metrics(); // pool_jobs_submitted_total{pool="mailer"} 1, ...
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn record_metrics(&self) {
        let stats = self.stats();
        let pool = self.name().to_owned();
        let total = |name: &'static str, value: u64| {
            counter!(name, "pool" => pool.clone()).absolute(value);
        };
        total("pool_jobs_submitted_total", stats.submitted);
        total("pool_jobs_started_total", stats.started);
        total("pool_jobs_completed_total", stats.completed);
        total("pool_jobs_failed_total", stats.failed);
        total("pool_jobs_cancelled_total", stats.cancelled);
        total("pool_jobs_panicked_total", stats.panicked);
        total("pool_jobs_timed_out_total", stats.timed_out);
        total("pool_jobs_aborted_total", stats.aborted);
        total("pool_jobs_not_started_total", stats.not_started);
        #[allow(clippy::cast_precision_loss)]
        let now = |name: &'static str, value: usize| {
            gauge!(name, "pool" => pool.clone()).set(value as f64);
        };
        now("pool_workers", stats.workers);
        now("pool_workers_live", stats.live_workers);
        now("pool_workers_min", stats.min_workers);
        now("pool_workers_max", stats.max_workers);
        now("pool_workers_busy", stats.busy);
        now("pool_workers_idle", stats.idle);
        now("pool_workers_waiting_for_reader", stats.waiting_for_reader);
        now("pool_jobs_queued", stats.queued);
    }
}
