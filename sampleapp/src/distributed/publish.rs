//! `publish`: enqueue simulated jobs, pipelined in batches, at a rate or as fast as Redis
//! takes them, for a count or a duration, until Ctrl-C.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pool_redis::{Producer, Queue};
use serde::Serialize;

use super::PublishArgs;
use super::sim_job::SimJob;
use crate::progress::{Progress, per_second};
use crate::stop::Stop;

/// Jobs per pipelined round trip when publishing as fast as possible.
const BATCH: u64 = 500;

/// What `publish` did.
#[derive(Debug, Serialize)]
pub struct Published {
    /// The queue's name.
    pub queue: String,
    /// Jobs enqueued.
    pub published: u64,
    /// How long it took.
    pub seconds: f64,
    /// Jobs enqueued per second.
    pub jobs_per_second: f64,
    /// When the jobs run: `now`, `N s after publishing`, or a time (RFC 3339).
    pub due: String,
}

/// Publishes as `args` says.
///
/// # Errors
///
/// If Redis cannot be reached or refuses the jobs.
pub fn run(args: &PublishArgs, stop: &Stop) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let so_far = Arc::new(AtomicU64::new(0));
    let progress = Progress::show({
        let so_far = Arc::clone(&so_far);
        move |elapsed| {
            let published = so_far.load(Ordering::Relaxed);
            format!(
                "{published} published · {:.0} jobs/s",
                per_second(published, elapsed)
            )
        }
    });
    let published = runtime.block_on(publish(args, stop, &so_far));
    progress.finish();
    let published = published?;
    let text = format!(
        "published {} jobs to {} in {:.2} s ({:.0} jobs/s), due {}",
        published.published,
        published.queue,
        published.seconds,
        published.jobs_per_second,
        published.due
    );
    super::print(args.queue.json, &published, &text);
    Ok(())
}

async fn publish(
    args: &PublishArgs,
    stop: &Stop,
    so_far: &AtomicU64,
) -> Result<Published, pool_redis::QueueError> {
    let producer = Producer::connect(&args.queue.redis, Queue::new(&args.queue.queue_name)).await?;
    let count = match (args.count, args.duration) {
        (Some(count), _) => count,
        (None, Some(_)) => u64::MAX,
        (None, None) => 10_000,
    };
    let started = Instant::now();
    let until = args.duration.map(|duration| started + duration);
    let mut rng = fastrand::Rng::new();
    let mut published = 0;
    while published < count
        && !stop.drain.is_cancelled()
        && until.is_none_or(|until| Instant::now() < until)
    {
        // At a rate, as many as are due now; else a full batch.
        let due = match args.rate {
            Some(rate) => {
                let elapsed = started.elapsed().as_secs_f64();
                let due = (elapsed * rate as f64) as u64 + 1;
                if due <= published {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                due - published
            }
            None => BATCH,
        };
        let batch: Vec<SimJob> = (0..due.min(count - published).min(BATCH))
            .map(|_| SimJob {
                work_ms: rng.u64(args.job_ms.0.clone()),
                fail: rng.f64() < args.fail_rate,
            })
            .collect();
        match (args.delay, args.at) {
            (Some(delay), _) => producer.enqueue_many_in(&batch, delay).await?,
            (None, Some(when)) => producer.enqueue_many_at(&batch, when).await?,
            (None, None) => producer.enqueue_many(&batch).await?,
        };
        published += batch.len() as u64;
        so_far.store(published, Ordering::Relaxed);
    }
    let seconds = started.elapsed().as_secs_f64();
    let due = match (args.delay, args.at) {
        (Some(delay), _) => format!("{} s after publishing", delay.as_secs_f64()),
        (None, Some(when)) => humantime::format_rfc3339_seconds(when).to_string(),
        (None, None) => "now".to_owned(),
    };
    Ok(Published {
        due,
        queue: args.queue.queue_name.clone(),
        published,
        seconds,
        jobs_per_second: if seconds > 0.0 {
            published as f64 / seconds
        } else {
            0.0
        },
    })
}
