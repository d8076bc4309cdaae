//! pool-redis, as its docs show it: a `Producer` enqueueing pipelined batches, and a
//! `Consumer` per process running its jobs on a local pool.

use pool_core::BoxError;
use pool_redis::{Consumer, Producer, Queue, Registry, RemoteContext, RemoteJob};
use pool_tokio::TokioExecutor;
use serde::{Deserialize, Serialize};

use crate::system::{ConsumerSpec, PRODUCER_BATCH, announce_ready};

/// The job: sleeps `work_ms` on tokio's timer (none at all for 0).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BenchJob {
    work_ms: u64,
}

impl RemoteJob for BenchJob {
    const KIND: &'static str = "bench";
    type Output = ();

    async fn run(self, _ctx: RemoteContext) -> Result<(), BoxError> {
        if self.work_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(self.work_ms)).await;
        }
        Ok(())
    }
}

/// Runs a consumer until the process is killed.
pub(crate) async fn consume(spec: &ConsumerSpec) {
    let consumer = Consumer::builder(
        &spec.url,
        Queue::new(&spec.queue),
        Registry::new().register::<BenchJob>(),
        TokioExecutor::default(),
    )
    .workers(spec.workers)
    // Room for a whole read batch besides the running jobs: a read never asks for more
    // than the room it has.
    .prefetch(spec.workers.max(spec.batch))
    .read_batch(spec.batch)
    .connect()
    .await
    .expect("the consumer connects");
    announce_ready();
    let _ = consumer.run().await;
}

/// Enqueues `jobs` jobs of `work_ms`, in pipelined batches.
pub(crate) async fn produce(url: &str, queue: &str, jobs: usize, work_ms: u64) {
    let producer = Producer::connect(url, Queue::new(queue))
        .await
        .expect("the producer connects");
    announce_ready();
    let batch = vec![BenchJob { work_ms }; PRODUCER_BATCH];
    let mut sent = 0;
    while sent < jobs {
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
