//! `status`: the queue as Redis holds it now.

use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

use pool_redis::{Inspector, JobState, Queue, QueueError, QueueStats};
use serde::Serialize;

use super::StatusArgs;
use crate::stop::Stop;

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
    /// Jobs dead-lettered per second over the window (none for a window of 0).
    pub dead_lettered_per_second: Option<f64>,
    /// The window the rates were measured over, in seconds.
    pub window_seconds: f64,
}

/// Prints the status of the queue `args` names: once, or every `--window` with `--watch`
/// until Ctrl-C.
///
/// # Errors
///
/// If Redis cannot be reached.
pub fn run(args: &StatusArgs, stop: &Stop) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let queue = Queue::new(&args.queue.queue_name);
    if let Some(key) = args.job {
        let job = runtime.block_on(look_at_job(&args.queue.redis, &queue, key))?;
        let text = job_text(&job);
        super::print(args.queue.json, &job, &text);
        return Ok(());
    }
    runtime.block_on(async {
        let inspector = Inspector::connect(&args.queue.redis).await?;
        let mut before = (inspector.stats(&queue).await?, Instant::now());
        if !args.watch {
            let status = if args.window.is_zero() {
                status_of(queue.name(), before.0, None)
            } else {
                tokio::time::sleep(args.window).await;
                let now = (inspector.stats(&queue).await?, Instant::now());
                status_of(queue.name(), now.0.clone(), Some((&before, &now)))
            };
            super::print(args.queue.json, &status, &text(&status));
            return Ok(());
        }
        // Redrawn in place on a terminal; one block (or JSON line) per look when piped.
        let redraw = std::io::stdout().is_terminal() && !args.queue.json;
        let every = if args.window.is_zero() {
            Duration::from_secs(1)
        } else {
            args.window
        };
        loop {
            let stopped = async {
                stop.drain.cancelled().await;
                true
            };
            let waited = async {
                tokio::time::sleep(every).await;
                false
            };
            if futures_lite::future::or(stopped, waited).await {
                return Ok(());
            }
            let now = (inspector.stats(&queue).await?, Instant::now());
            let status = status_of(queue.name(), now.0.clone(), Some((&before, &now)));
            let shown = if redraw {
                format!("\x1b[2J\x1b[H{}", text(&status))
            } else if args.queue.json {
                String::new()
            } else {
                format!("{}\n", text(&status))
            };
            super::print(args.queue.json, &status, &shown);
            before = now;
        }
    })
}

/// One job, by its key: where it is, and its latest progress.
#[derive(Debug, Serialize)]
pub struct JobStatus {
    /// The job's key.
    pub key: String,
    /// Where it is (`Waiting`, `Held`, `Delayed`, `DeadLettered`, `Finished`, ...).
    pub state: JobState,
    /// Its latest progress report, if it made one and it is still kept.
    pub progress: Option<serde_json::Value>,
}

async fn look_at_job(url: &str, queue: &Queue, key: uuid::Uuid) -> Result<JobStatus, QueueError> {
    let job = Inspector::connect(url).await?.find_job(queue, key).await?;
    Ok(JobStatus {
        key: key.to_string(),
        state: job.state,
        progress: job.progress.map(|report| report.value),
    })
}

fn job_text(job: &JobStatus) -> String {
    let state = match &job.state {
        JobState::Waiting { .. } => "waiting for a consumer".to_owned(),
        JobState::Held {
            consumer,
            idle_ms,
            deliveries,
            ..
        } => format!("held by {consumer} (delivery {deliveries}, lease renewed {idle_ms} ms ago)"),
        JobState::Released { .. } => "released by a stopping consumer, for the next".to_owned(),
        JobState::Delayed { due, reason } => format!(
            "delayed ({reason:?}) until {}",
            humantime::format_rfc3339_seconds(*due)
        ),
        JobState::DeadLettered(letter) => format!(
            "dead-lettered after {} attempts: {}",
            letter.attempts, letter.error
        ),
        JobState::Finished(outcome) => format!("finished: {outcome:?}"),
        _ => "unknown (never queued here, or finished with no outcome kept)".to_owned(),
    };
    let progress = match &job.progress {
        Some(progress) => format!("progress {progress}"),
        None => "no progress reported (or no longer kept)".to_owned(),
    };
    format!("job {}: {state}; {progress}", job.key)
}

/// A snapshot and when it was taken.
type Look = (QueueStats, Instant);

/// A status from a look, with the rates since an earlier look if there was one.
fn status_of(queue: &str, stats: QueueStats, looks: Option<(&Look, &Look)>) -> Status {
    let rates = looks.map(|((first, then), (second, now))| {
        let seconds = now.duration_since(*then).as_secs_f64().max(1e-3);
        let rate = |first: u64, second: u64| second.saturating_sub(first) as f64 / seconds;
        (
            rate(first.acknowledged_total, second.acknowledged_total),
            rate(first.dead_lettered_total, second.dead_lettered_total),
            seconds,
        )
    });
    Status {
        queue: queue.to_owned(),
        stats,
        acknowledged_per_second: rates.map(|(acknowledged, ..)| acknowledged),
        dead_lettered_per_second: rates.map(|(_, dead, _)| dead),
        window_seconds: rates.map_or(0.0, |(.., seconds)| seconds),
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
    if let (Some(acknowledged), Some(dead)) = (
        status.acknowledged_per_second,
        status.dead_lettered_per_second,
    ) {
        text.push_str(&format!(
            "\n  {acknowledged:.0} acknowledged/s, {dead:.0} dead-lettered/s over the last {:.1} s",
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
        if let Some(presence) = &consumer.presence {
            text.push_str(&format!(
                ", {} pid {} on {}, up {} s, last seen {} ms ago{}",
                presence.host,
                presence.pid,
                presence.runtime,
                presence.up_for(stats.taken_at).as_secs(),
                presence.last_seen_ms,
                if presence.looks_dead() {
                    " (LOOKS DEAD)"
                } else {
                    ""
                }
            ));
        }
    }
    text
}
