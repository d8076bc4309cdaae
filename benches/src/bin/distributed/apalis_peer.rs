//! apalis with its Redis backend, as its README shows it: `RedisStorage` pushed to, and a
//! `WorkerBuilder` with `.concurrency(n).parallelize(tokio::spawn)` per process. Its
//! settings are its defaults but the fetch batch, which is the one being compared, and a
//! poll interval (its README's example has none, and then a worker that once finds the
//! queue empty sleeps until its next heartbeat).

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BoxDynError, TaskSink, WorkerBuilder};
use apalis_core::backend::ext::BackendExt;
use apalis_core::worker::ext::parallelize::ParallelizeExt;
use apalis_redis::{Config, RedisStorage};
use serde::{Deserialize, Serialize};

use crate::recorder;
use crate::system::{ConsumerSpec, Load, PRODUCER_BATCH, Pace, announce_ready, now_us};

/// How often an idle worker looks for tasks.
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(1);

/// The same job as pool-redis runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BenchTask {
    work_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sent_us: Option<u64>,
}

async fn run_task(task: BenchTask) -> Result<(), BoxDynError> {
    if let Some(sent_us) = task.sent_us {
        recorder::push(recorder::latency_key, now_us().saturating_sub(sent_us)).await?;
    }
    if task.work_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(task.work_ms)).await;
    }
    if let Some(number) = task.number {
        recorder::push(recorder::ends_key, number).await?;
    }
    Ok(())
}

fn config(queue: &str, batch: usize) -> Config {
    Config::default().queue(queue).batch_size(batch)
}

/// Runs a worker until the process is killed.
pub(crate) async fn consume(spec: &ConsumerSpec) {
    let connection = apalis_redis::connect(spec.url.as_str())
        .await
        .expect("apalis connects");
    // A push only schedules a task; a worker finds it on its next fetch, and after a fetch
    // that finds nothing it fetches again only when its poll strategy says. The interval is
    // short, to favour throughput.
    let storage = RedisStorage::<BenchTask>::new(connection)
        .with_config(config(&spec.queue, spec.batch))
        .poll_with_interval(POLL_INTERVAL);
    recorder::open(&spec.url, &spec.queue).await;
    announce_ready();
    WorkerBuilder::new(format!("bench-{}", std::process::id()))
        .backend(storage)
        .concurrency(spec.workers)
        .parallelize(tokio::spawn)
        .build(run_task)
        .run()
        .await
        .expect("the worker runs");
}

/// Pushes `load`'s jobs, in bulk pushes of the producer's batch.
pub(crate) async fn produce(url: &str, queue: &str, load: Load) {
    let connection = apalis_redis::connect(url).await.expect("apalis connects");
    let mut storage =
        RedisStorage::<BenchTask>::new(connection).with_config(config(queue, PRODUCER_BATCH));
    announce_ready();
    if let Some(rate) = load.rate {
        let pace = Pace::new(rate);
        for n in 0..load.jobs {
            let task = BenchTask {
                work_ms: load.work_ms,
                number: load.number(n),
                sent_us: Some(pace.until(n).await),
            };
            storage.push(task).await.expect("Redis takes the job");
        }
        return;
    }
    let mut sent = 0;
    while sent < load.jobs {
        let count = PRODUCER_BATCH.min(load.jobs - sent);
        let tasks = (sent..sent + count)
            .map(|n| BenchTask {
                work_ms: load.work_ms,
                number: load.number(n),
                sent_us: None,
            })
            .collect();
        storage
            .push_bulk(tasks)
            .await
            .expect("Redis takes the jobs");
        sent += count;
    }
}

/// Jobs done so far: the size of apalis's set of done tasks.
pub(crate) fn completed(connection: &mut redis::Connection, queue: &str) -> u64 {
    redis::cmd("SCARD")
        .arg(config(queue, 1).done_jobs_set())
        .query(connection)
        .expect("SCARD")
}

/// The command `completed` polls with, to take out of the server's counts.
pub(crate) const POLL_COMMAND: &str = "scard";

/// Tasks apalis still holds: pending, scheduled, or in some worker's in-flight set.
pub(crate) fn outstanding(connection: &mut redis::Connection, queue: &str) -> u64 {
    let config = config(queue, 1);
    let mut size = |command: &str, key: &str| -> u64 {
        redis::cmd(command)
            .arg(key)
            .query(connection)
            .expect("a size")
    };
    let mut held =
        size("LLEN", &config.active_jobs_list()) + size("ZCARD", &config.scheduled_jobs_set());
    let inflight: Vec<String> = redis::cmd("SMEMBERS")
        .arg(config.inflight_jobs_set())
        .query(connection)
        .expect("SMEMBERS");
    for set in inflight {
        held += redis::cmd("SCARD")
            .arg(set)
            .query::<u64>(connection)
            .expect("SCARD");
    }
    held
}
