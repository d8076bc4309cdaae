//! `status`: the queue as Redis holds it now.

use std::time::{Duration, Instant, SystemTime};

use pool_redis::{Queue, QueueError, QueueStats, queue_stats};
use serde::Serialize;

use super::StatusArgs;

/// The queue's state, for the summary.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The queue's name.
    pub queue: String,
    /// What Redis holds, as pool-redis reports it (flattened into the JSON object:
    /// `length`, `undelivered`, `pending`, ..., `consumers`).
    #[serde(flatten)]
    pub stats: QueueStats,
    /// Jobs acknowledged per second over the window, by every consumer (none for a window
    /// of 0).
    pub acknowledged_per_second: Option<f64>,
    /// The window the rate was measured over, in seconds.
    pub window_seconds: f64,
}

/// Prints the status of the queue `args` names.
///
/// # Errors
///
/// If Redis cannot be reached.
pub fn run(args: &StatusArgs) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let queue = Queue::new(&args.queue.queue_name);
    if let Some(key) = args.job {
        let job = runtime.block_on(look_at_job(&args.queue.redis, queue, key))?;
        let text = match &job.progress {
            Some(progress) => format!("job {key}: progress {progress}"),
            None => format!("job {key}: no progress reported (or no longer kept)"),
        };
        super::print(args.queue.json, &job, &text);
        return Ok(());
    }
    let status = runtime.block_on(look(&args.queue.redis, &queue, args.window))?;
    super::print(args.queue.json, &status, &text(&status));
    Ok(())
}

/// One job, by its key.
#[derive(Debug, Serialize)]
pub struct JobStatus {
    /// The job's key.
    pub key: String,
    /// Its latest progress report, if it made one and it is still kept.
    pub progress: Option<serde_json::Value>,
}

async fn look_at_job(url: &str, queue: Queue, key: uuid::Uuid) -> Result<JobStatus, QueueError> {
    let producer = pool_redis::Producer::connect(url, queue).await?;
    let progress = producer.progress(key).await?.map(|report| report.value);
    Ok(JobStatus {
        key: key.to_string(),
        progress,
    })
}

/// One look at the queue, or two `window` apart for the rate of acknowledgements between
/// them (the second look is the one shown).
async fn look(url: &str, queue: &Queue, window: Duration) -> Result<Status, QueueError> {
    let first = queue_stats(url, queue).await?;
    if window.is_zero() {
        return Ok(status_of(queue.name(), first, None));
    }
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let second = queue_stats(url, queue).await?;
    let elapsed = started.elapsed();
    let acknowledged = second
        .acknowledged_total
        .saturating_sub(first.acknowledged_total);
    let rate = acknowledged as f64 / elapsed.as_secs_f64();
    Ok(status_of(queue.name(), second, Some((rate, elapsed))))
}

fn status_of(queue: &str, stats: QueueStats, rate: Option<(f64, Duration)>) -> Status {
    Status {
        queue: queue.to_owned(),
        stats,
        acknowledged_per_second: rate.map(|(rate, _)| rate),
        window_seconds: rate.map_or(0.0, |(_, window)| window.as_secs_f64()),
    }
}

fn text(status: &Status) -> String {
    let stats = &status.stats;
    let mut text = format!(
        "queue {}: {} in the stream ({} waiting, {} delivered: {} held by consumers, {} released), {} delayed, {} dead letters, {} consumers\n  since created: {} acknowledged, {} dead-lettered",
        status.queue,
        stats.length,
        stats.undelivered,
        stats.pending,
        stats.pending.saturating_sub(stats.released),
        stats.released,
        stats.delayed,
        stats.dead_letters,
        stats.consumers.len(),
        stats.acknowledged_total,
        stats.dead_lettered_total
    );
    if let Some(rate) = status.acknowledged_per_second {
        text.push_str(&format!(
            ", {rate:.0} acknowledged/s over the last {:.1} s",
            status.window_seconds
        ));
    }
    if stats.delayed > 0 {
        let due = stats.next_due.map_or_else(
            || "unknown".to_owned(),
            |due| match due.duration_since(SystemTime::now()) {
                Ok(ahead) => format!("in {:.1} s", ahead.as_secs_f64()),
                Err(_) => "now".to_owned(),
            },
        );
        text.push_str(&format!(
            "\n  delayed: {} ({} of them retries), the next due {due}",
            stats.delayed, stats.retrying
        ));
    }
    for consumer in &stats.consumers {
        text.push_str(&format!(
            "\n  {}: holds {}, idle {} ms",
            consumer.name, consumer.pending, consumer.idle_ms
        ));
    }
    text
}
