//! pool-redis, as its docs show it: a `Producer` enqueueing pipelined batches, and a
//! `Consumer` per process running its jobs on a local pool.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pool_core::BoxError;
use pool_redis::{
    Consumer, Producer, Queue, Queues, RateLimit, Registry, RemoteContext, RemoteJob,
};
use pool_tokio::TokioExecutor;
use serde::{Deserialize, Serialize};

use crate::recorder;
use crate::system::{ConsumerSpec, Load, PRODUCER_BATCH, Pace, announce_ready, now_us};

/// The job: sleeps `work_ms` on tokio's timer (none at all for 0). A delayed one knows when
/// it was due, and records how late it started (see `lateness`); a numbered one records its
/// number when it ends (see `crash`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BenchJob {
    pub(crate) work_ms: u64,
    /// When it is due, in Unix ms by this host's clock (0: not measured).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) due_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) number: Option<u64>,
    /// When it was due to be enqueued, in Unix µs (see `latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sent_us: Option<u64>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Now, in Unix ms.
pub(crate) fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

impl RemoteJob for BenchJob {
    const KIND: &'static str = "bench";
    type Output = ();

    async fn run(self, _ctx: RemoteContext) -> Result<(), BoxError> {
        if let Some(sent_us) = self.sent_us {
            recorder::push(recorder::latency_key, now_us().saturating_sub(sent_us)).await?;
        }
        if self.due_ms > 0 {
            let late = now_ms().saturating_sub(self.due_ms);
            recorder::push(recorder::lateness_key, late).await?;
        }
        if self.work_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(self.work_ms)).await;
        }
        if let Some(number) = self.number {
            recorder::push(recorder::ends_key, number).await?;
        }
        Ok(())
    }
}

/// What a consumer adds to the plain one, to measure what it costs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Variant {
    Plain,
    /// Serves the queue's three weighted parts (`WEIGHTED`).
    Weighted,
    /// A rate limit on the job's kind, too high to bind.
    RateLimited,
    /// A concurrency limit on the job's kind, too high to bind.
    ConcurrencyLimited,
}

/// The weighted variant's queues: the queue's name with these suffixes, and their weights.
pub(crate) const WEIGHTED: [(&str, u32); 3] = [("-critical", 6), ("-default", 3), ("-low", 1)];

/// Runs a consumer until the process is killed.
pub(crate) async fn consume(spec: &ConsumerSpec, variant: Variant) {
    let queues = match variant {
        Variant::Weighted => Queues::weighted(
            WEIGHTED
                .map(|(suffix, weight)| (Queue::new(format!("{}{suffix}", spec.queue)), weight)),
        ),
        // A list names several queues (the cluster's, one per master), served alike.
        _ if spec.queue.contains(',') => {
            Queues::weighted(spec.queue.split(',').map(|name| (Queue::new(name), 1)))
        }
        _ => Queue::new(&spec.queue).into(),
    };
    let builder = Consumer::builder(
        &spec.url,
        queues,
        Registry::new().register::<BenchJob>(),
        TokioExecutor::default(),
    );
    let builder = match variant {
        Variant::RateLimited => builder.rate_limit::<BenchJob>(RateLimit::per_second(u32::MAX)),
        Variant::ConcurrencyLimited => builder.concurrency_limit::<BenchJob>(u32::MAX),
        Variant::Plain | Variant::Weighted => builder,
    };
    let consumer = builder
        .workers(spec.workers)
        // Room for a whole read batch besides the running jobs: a read never asks for more
        // than the room it has.
        .prefetch(spec.workers.max(spec.batch))
        .read_batch(spec.batch)
        .connect()
        .await
        .expect("the consumer connects");
    recorder::open(&spec.url, &spec.queue).await;
    announce_ready();
    let _ = consumer.run().await;
}

/// Enqueues `load`'s jobs in pipelined batches; each after `delay`, if given.
pub(crate) async fn produce(url: &str, queue: &str, load: Load, delay: Option<Duration>) {
    let producer = Producer::connect(url, Queue::new(queue))
        .await
        .expect("the producer connects");
    announce_ready();
    if let Some(rate) = load.rate {
        let pace = Pace::new(rate);
        let mut late_us = Vec::new();
        for n in 0..load.jobs {
            let sent_us = pace.until(n).await;
            late_us.push(crate::system::now_us().saturating_sub(sent_us));
            let job = BenchJob {
                work_ms: load.work_ms,
                due_ms: 0,
                number: load.number(n),
                sent_us: Some(sent_us),
            };
            producer.enqueue(&job).await.expect("Redis takes the job");
        }
        late_us.sort_unstable();
        eprintln!(
            "pool-redis producer: sends late by p50 {} µs, max {} µs (counted in every wait)",
            late_us[late_us.len() / 2],
            late_us[late_us.len() - 1]
        );
        return;
    }
    let mut sent = 0;
    while sent < load.jobs {
        let count = PRODUCER_BATCH.min(load.jobs - sent);
        let jobs: Vec<BenchJob> = (sent..sent + count)
            .map(|n| BenchJob {
                work_ms: load.work_ms,
                due_ms: 0,
                number: load.number(n),
                sent_us: None,
            })
            .collect();
        match delay {
            Some(delay) => producer.enqueue_many_in(&jobs, delay).await,
            None => producer.enqueue_many(&jobs).await,
        }
        .expect("Redis takes the jobs");
        sent += count;
    }
}

/// Enqueues `jobs` jobs of `work_ms` over the weighted variant's three queues, a batch to
/// each in turn (so each has a backlog).
pub(crate) async fn produce_weighted(url: &str, queue: &str, jobs: usize, work_ms: u64) {
    let mut producers = Vec::new();
    for (suffix, _) in WEIGHTED {
        let producer = Producer::connect(url, Queue::new(format!("{queue}{suffix}")))
            .await
            .expect("the producer connects");
        producers.push(producer);
    }
    announce_ready();
    let job = BenchJob {
        work_ms,
        due_ms: 0,
        number: None,
        sent_us: None,
    };
    let batch = vec![job; PRODUCER_BATCH];
    let mut sent = 0;
    for producer in producers.iter().cycle() {
        if sent >= jobs {
            break;
        }
        let count = PRODUCER_BATCH.min(jobs - sent);
        producer
            .enqueue_many(&batch[..count])
            .await
            .expect("Redis takes the jobs");
        sent += count;
    }
}

/// Jobs acknowledged so far: the queue's own total, kept by its acknowledgement script
/// (`queue_stats` reads the same field, with more round trips than a poll should cost).
pub(crate) fn completed(connection: &mut redis::Connection, queue: &str) -> u64 {
    redis::cmd("HGET")
        .arg(format!("{{{queue}}}:totals"))
        .arg("acknowledged")
        .query::<Option<u64>>(connection)
        .expect("HGET")
        .unwrap_or(0)
}

/// The command `completed` polls with, to take out of the server's counts.
pub(crate) const POLL_COMMAND: &str = "hget";
