//! BullMQ's own Rust crate (`bullmq-official`, imported as `bullmq`), as its README shows
//! it: a `Queue` filled with `add_bulk`, a `Worker` with a concurrency. The same job and
//! settings as BullMQ for Node in `benches/peers/bullmq/bench.mjs`: completed jobs removed,
//! the Worker's metrics counting them (the runner polls that count).

use std::time::Duration;

use bullmq::options::RedisConnectionOptions;
use bullmq::types::RemoveOnFinish;
use bullmq::{
    BulkJob, Job, JobOptions, MetricsOptions, Queue, QueueOptions, Worker, WorkerOptions,
};

use crate::recorder;
use crate::system::{ConsumerSpec, Load, PRODUCER_BATCH, Pace, announce_ready, now_us};

fn connection(url: &str) -> RedisConnectionOptions {
    RedisConnectionOptions {
        url: url.to_owned(),
        ..RedisConnectionOptions::default()
    }
}

/// Runs a worker until the process is killed.
pub(crate) async fn consume(spec: &ConsumerSpec) {
    let options = WorkerOptions {
        connection: connection(&spec.url),
        concurrency: spec.workers,
        metrics: Some(MetricsOptions::default()),
        ..WorkerOptions::default()
    };
    let _worker = Worker::with_options(
        &spec.queue,
        |job: Job, _token| async move {
            if let Some(sent_us) = job.data()["sent_us"].as_u64() {
                recorder::push(recorder::latency_key, now_us().saturating_sub(sent_us)).await?;
            }
            let work_ms = job.data()["work_ms"].as_u64().unwrap_or(0);
            if work_ms > 0 {
                tokio::time::sleep(Duration::from_millis(work_ms)).await;
            }
            if let Some(number) = job.data()["number"].as_u64() {
                recorder::push(recorder::ends_key, number).await?;
            }
            Ok(serde_json::Value::Null)
        },
        options,
    )
    .await
    .expect("the worker connects");
    recorder::open(&spec.url, &spec.queue).await;
    announce_ready();
    std::future::pending::<()>().await;
}

/// Adds `load`'s jobs, in `add_bulk` calls of the producer's batch.
pub(crate) async fn produce(url: &str, queue: &str, load: Load) {
    let options = QueueOptions {
        connection: connection(url),
        ..QueueOptions::default()
    };
    let queue = Queue::with_options(queue, options)
        .await
        .expect("the queue connects");
    announce_ready();
    let job_options = JobOptions::default()
        .remove_on_complete(RemoveOnFinish::Bool(true))
        .remove_on_fail(RemoveOnFinish::Bool(true));
    if let Some(rate) = load.rate {
        let pace = Pace::new(rate);
        for n in 0..load.jobs {
            let data =
                serde_json::json!({ "work_ms": load.work_ms, "sent_us": pace.until(n).await });
            // One job per call; the same options as the batches.
            let job = BulkJob::with_options("bench", data, job_options.clone());
            queue
                .add_bulk(vec![job])
                .await
                .expect("Redis takes the job");
        }
        queue.close().await;
        return;
    }
    let mut sent = 0;
    while sent < load.jobs {
        let count = PRODUCER_BATCH.min(load.jobs - sent);
        let batch = (sent..sent + count)
            .map(|n| {
                let data = match load.number(n) {
                    Some(number) => {
                        serde_json::json!({ "work_ms": load.work_ms, "number": number })
                    }
                    None => serde_json::json!({ "work_ms": load.work_ms }),
                };
                BulkJob::with_options("bench", data, job_options.clone())
            })
            .collect();
        queue.add_bulk(batch).await.expect("Redis takes the jobs");
        sent += count;
    }
    queue.close().await;
}
