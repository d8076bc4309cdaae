//! `work`: a consumer process on the runtime asked for, until Ctrl-C (once: drain; twice:
//! give the unstarted jobs back at once).

use std::time::Duration;

use futures_lite::future;
use pool_core::Executor;
use std::sync::Arc;

use pool_core::CancellationToken;
use pool_redis::{Consumer, ConsumerStats, Inspector, Queue, Registry, RetryPolicy};

use super::metrics_endpoint::{Endpoint, Exporter, Sampler, bind};
use serde::Serialize;

use super::WorkArgs;
use super::sim_job::{SimJob, Sleep};
use crate::progress::{Progress, per_second};
use crate::runtimes::{OnAnyRuntime, block_on};
use crate::stop::Stop;

/// What a consumer did, for the summary.
#[derive(Debug, Serialize)]
pub struct Worked {
    /// The queue's name (the names, comma-separated, of several).
    pub queue: String,
    /// The consumer's name in the group.
    pub consumer: String,
    /// The runtime it ran on.
    pub runtime: String,
    /// Its counts, as pool-redis reports them (flattened into the JSON object: `read`,
    /// `acknowledged`, `retried`, ...).
    #[serde(flatten)]
    pub stats: ConsumerStats,
}

/// Consumes as `args` says, until stopped.
///
/// # Errors
///
/// If Redis cannot be reached, or the runtime cannot be set up.
pub fn run(args: &WorkArgs, stop: &Stop) -> Result<(), Box<dyn std::error::Error>> {
    let worked = block_on(args.runtime, Work { args, stop })?
        .map_err(|error| error as Box<dyn std::error::Error>)?;
    let text = format!(
        "consumer {} on {}: read {}, acknowledged {}, retried {}, dead-lettered {}, reclaimed {}, released {}, over a limit {}",
        worked.consumer,
        worked.runtime,
        worked.stats.read,
        worked.stats.acknowledged,
        worked.stats.retried,
        worked.stats.dead_lettered,
        worked.stats.reclaimed,
        worked.stats.released,
        worked.stats.over_limit
    );
    super::print(args.queue.json, &worked, &text);
    Ok(())
}

/// What `/metrics` samples on each scrape: the consumer's counts, and each of its queues'
/// numbers (on a connection of the scrape's own).
fn sampler<E: Executor>(consumer: Consumer<E>, args: &WorkArgs) -> Sampler {
    let url = args.queue.redis.clone();
    let queues: Vec<Queue> = args.queues().names().map(Queue::new).collect();
    Arc::new(move || {
        consumer.record_metrics();
        let (url, queues) = (url.clone(), queues.clone());
        Box::pin(async move {
            let sample = async {
                let Ok(inspector) = Inspector::connect(&url).await else {
                    return;
                };
                for queue in &queues {
                    if let Ok(stats) = inspector.stats(queue).await {
                        stats.record_metrics(queue.name());
                    }
                }
            };
            // A paused Redis must not hold up the scrape: the consumer's own counts are
            // recorded already, and the queues' keep their last values.
            let _ = tokio::time::timeout(QUEUE_SAMPLE_DEADLINE, sample).await;
        })
    })
}

/// The longest a scrape waits for the queues' numbers.
const QUEUE_SAMPLE_DEADLINE: Duration = Duration::from_secs(5);

/// Why a consumer could not work: Redis, or the metrics endpoint.
type WorkError = Box<dyn std::error::Error + Send + Sync>;

/// The consumer, as work for any runtime.
struct Work<'a> {
    args: &'a WorkArgs,
    stop: &'a Stop,
}

impl OnAnyRuntime for Work<'_> {
    type Output = Result<Worked, WorkError>;

    fn run<E: Executor + Clone>(self, executor: E) -> impl Future<Output = Self::Output> {
        work(executor, self.args, self.stop)
    }
}

async fn work<E: Executor + Clone>(
    executor: E,
    args: &WorkArgs,
    stop: &Stop,
) -> Result<Worked, WorkError> {
    // Listening first: a bad address must not leave a consumer registered in the group.
    // The recorder before anything records: the pool's workers take handles when it starts.
    let metrics = match args.metrics {
        Some(listen) => Some((bind(listen)?, Exporter::install()?)),
        None => None,
    };
    let registry = Registry::new().register::<SimJob>();
    let mut builder =
        Consumer::builder(&args.queue.redis, args.queues(), registry, executor.clone())
            .data(Sleep::on(executor))
            .workers(args.workers as usize)
            .visibility_timeout(args.visibility_timeout)
            .retry(
                RetryPolicy::new(args.max_attempts)
                    .with_first_backoff(Duration::from_millis(100))
                    .with_max_backoff(args.visibility_timeout),
            );
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit::<SimJob>(limit);
    }
    if let Some(most) = args.concurrency_limit {
        builder = builder.concurrency_limit::<SimJob>(most);
    }
    if let Some(schedule) = &args.heartbeat {
        let beat = SimJob {
            work_ms: 1,
            fail: false,
        };
        builder = builder.periodic("heartbeat", schedule.clone(), &beat);
    }
    let consumer = builder.connect().await?;
    let served = CancellationToken::new();
    let endpoint = match metrics {
        Some((listener, exporter)) => {
            let sample = sampler(consumer.clone(), args);
            Some(Endpoint::serve(listener, exporter, sample, served.clone())?)
        }
        None => None,
    };
    let progress = Progress::show({
        let consumer = consumer.clone();
        move |elapsed| {
            let stats = consumer.stats();
            format!(
                "{} acknowledged · {:.0} jobs/s · {} held · {} retried · {} dead-lettered",
                stats.acknowledged,
                per_second(stats.acknowledged, elapsed),
                stats.held,
                stats.retried,
                stats.dead_lettered
            )
        }
    });
    tracing::info!(consumer = %consumer.name(), runtime = %args.runtime, "working (Ctrl-C drains, twice gives unstarted jobs back)");
    let stopping = async {
        stop.drain.cancelled().await;
        let now = async {
            stop.now.cancelled().await;
            consumer.shutdown_now().await
        };
        future::or(consumer.shutdown(), now).await
    };
    let stop_or_failure = future::or(stopping, async {
        // The consumer stopped by itself (a permission Redis refused): `run` says why.
        let _ = consumer.run().await;
        consumer.stats()
    });
    let (ran, stats) = future::zip(consumer.run(), stop_or_failure).await;
    progress.finish();
    served.cancel();
    if let Some(endpoint) = endpoint {
        endpoint.join();
    }
    ran?;
    Ok(Worked {
        queue: args.queues().names().collect::<Vec<_>>().join(","),
        consumer: consumer.name().to_owned(),
        runtime: args.runtime.to_string(),
        stats,
    })
}
