//! What consumers and queues report through the `metrics` facade (feature `metrics`), for
//! any exporter (Prometheus, StatsD, OpenTelemetry). Names follow Prometheus's conventions:
//! counters end in `_total`, durations are histograms in seconds.

use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use pool_core::Executor;

use crate::{Consumer, QueueStats};

impl<E: Executor> Consumer<E> {
    /// Publishes the consumer's [`stats_by_queue`](Self::stats_by_queue) as counters (set to
    /// their absolute values) labelled `queue` and `consumer`, the jobs it holds as a gauge,
    /// and its local pool's stats (pool-core's
    /// [`record_metrics`](pool_core::WorkerPool::record_metrics)). Call it when the exporter
    /// is about to read: on a scrape, or every few seconds. Each job's queue wait and run
    /// time go, as they happen, to the histograms `pool_redis_job_wait_seconds` and
    /// `pool_redis_job_run_seconds`, labelled `queue` and `kind`.
    ///
    /// | metric | what |
    /// |---|---|
    /// | `pool_redis_consumer_read_total` | entries taken: read new or reclaimed |
    /// | `pool_redis_consumer_reclaimed_total` | of those, taken from a consumer whose lease lapsed |
    /// | `pool_redis_consumer_acknowledged_total` | jobs run to success |
    /// | `pool_redis_consumer_retried_total` | failed runs left for a retry |
    /// | `pool_redis_consumer_dead_lettered_total` | entries moved to the dead letters |
    /// | `pool_redis_consumer_released_total` | entries given back unstarted (a shutdown) |
    /// | `pool_redis_consumer_cancelled_total` | jobs cancelled by key, settled here |
    /// | `pool_redis_consumer_over_limit_total` | starts sent to wait for a kind's limit |
    /// | `pool_redis_consumer_promoted_total` | delayed jobs moved into the stream when due |
    /// | `pool_redis_consumer_lease_renewals_total` | lease renewals |
    /// | `pool_redis_consumer_leases_lost_total` | held entries found taken by another consumer |
    /// | `pool_redis_consumer_held_jobs` | entries held now (gauge) |
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn serve(consumer: pool_redis::Consumer<pool_tokio::TokioExecutor>) {
    /// // On each scrape, before the exporter renders:
    /// consumer.record_metrics();
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn record_metrics(&self) {
        let consumer = self.name().to_owned();
        for (queue, stats) in self.stats_by_queue() {
            let total = |name: &'static str, value: u64| {
                counter!(name, "queue" => queue.clone(), "consumer" => consumer.clone())
                    .absolute(value);
            };
            total("pool_redis_consumer_read_total", stats.read);
            total("pool_redis_consumer_reclaimed_total", stats.reclaimed);
            total("pool_redis_consumer_acknowledged_total", stats.acknowledged);
            total("pool_redis_consumer_retried_total", stats.retried);
            total(
                "pool_redis_consumer_dead_lettered_total",
                stats.dead_lettered,
            );
            total("pool_redis_consumer_released_total", stats.released);
            total("pool_redis_consumer_cancelled_total", stats.cancelled);
            total("pool_redis_consumer_over_limit_total", stats.over_limit);
            total("pool_redis_consumer_promoted_total", stats.promoted);
            total(
                "pool_redis_consumer_lease_renewals_total",
                stats.lease_renewals,
            );
            total("pool_redis_consumer_leases_lost_total", stats.leases_lost);
            #[allow(clippy::cast_precision_loss)]
            gauge!("pool_redis_consumer_held_jobs", "queue" => queue.clone(), "consumer" => consumer.clone())
                .set(stats.held as f64);
        }
        self.local_pool().record_metrics();
    }
}

impl QueueStats {
    /// Publishes this snapshot of `queue` as gauges and counters labelled `queue`: sample it
    /// where the endpoint is served (one sampler per queue, not every consumer), just before
    /// the exporter renders.
    ///
    /// | metric | what |
    /// |---|---|
    /// | `pool_redis_queue_length` | entries in the stream: waiting or held |
    /// | `pool_redis_queue_undelivered` | entries no consumer has read yet: the backlog |
    /// | `pool_redis_queue_pending` | entries delivered and not settled |
    /// | `pool_redis_queue_released` | of those, given back by a stopping consumer |
    /// | `pool_redis_queue_delayed` | jobs waiting for a time (retries among them) |
    /// | `pool_redis_queue_retrying` | of those, failed runs waiting out a back-off |
    /// | `pool_redis_queue_dead_letters` | entries in the dead letters |
    /// | `pool_redis_queue_consumers` | consumers in the group |
    /// | `pool_redis_queue_consumers_looking_dead` | of those, silent for three heartbeats |
    /// | `pool_redis_queue_next_due_seconds` | seconds until the next delayed job is due (0 if late, or if none is delayed) |
    /// | `pool_redis_queue_acknowledged_total` | jobs acknowledged since the queue was created |
    /// | `pool_redis_queue_dead_lettered_total` | jobs dead-lettered since then |
    /// | `pool_redis_queue_cancelled_total` | jobs cancelled since then |
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn scrape(url: &str) -> Result<(), pool_redis::QueueError> {
    /// let mail = pool_redis::Queue::new("mail");
    /// pool_redis::queue_stats(url, &mail).await?.record_metrics(mail.name());
    /// # Ok(())
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    #[allow(clippy::cast_precision_loss)]
    pub fn record_metrics(&self, queue: &str) {
        let now = |name: &'static str, value: u64| {
            gauge!(name, "queue" => queue.to_owned()).set(value as f64);
        };
        now("pool_redis_queue_length", self.length);
        now("pool_redis_queue_undelivered", self.undelivered);
        now("pool_redis_queue_pending", self.pending);
        now("pool_redis_queue_released", self.released);
        now("pool_redis_queue_delayed", self.delayed);
        now("pool_redis_queue_retrying", self.retrying);
        now("pool_redis_queue_dead_letters", self.dead_letters);
        now("pool_redis_queue_consumers", self.consumers.len() as u64);
        let dead = self.consumers.iter().filter(|c| c.looks_dead()).count();
        now("pool_redis_queue_consumers_looking_dead", dead as u64);
        // 0 when none is delayed too: a gauge left at its last value would say one is due.
        let ahead = self.next_due.map_or(Duration::ZERO, |due| {
            due.duration_since(self.taken_at).unwrap_or_default()
        });
        gauge!("pool_redis_queue_next_due_seconds", "queue" => queue.to_owned())
            .set(ahead.as_secs_f64());
        let total = |name: &'static str, value: u64| {
            counter!(name, "queue" => queue.to_owned()).absolute(value);
        };
        total(
            "pool_redis_queue_acknowledged_total",
            self.acknowledged_total,
        );
        total(
            "pool_redis_queue_dead_lettered_total",
            self.dead_lettered_total,
        );
        total("pool_redis_queue_cancelled_total", self.cancelled_total);
    }
}

/// Records one run of a `kind` job of `queue`: how long it waited from its enqueue to its
/// start, and how long it ran. The queue's label shares the queue's name (no copy per job).
pub(crate) fn job_ran(queue: &Arc<str>, kind: &'static str, waited: Duration, ran: Duration) {
    histogram!("pool_redis_job_wait_seconds", "queue" => Arc::clone(queue), "kind" => kind)
        .record(waited.as_secs_f64());
    histogram!("pool_redis_job_run_seconds", "queue" => Arc::clone(queue), "kind" => kind)
        .record(ran.as_secs_f64());
}
