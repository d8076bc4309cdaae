//! `status`: the queue as Redis holds it now.

use pool_redis::{Queue, QueueStats, queue_stats};
use serde::Serialize;

use super::StatusArgs;

/// The queue's state, for the summary.
#[derive(Debug, Serialize)]
pub struct Status {
    /// The queue's name.
    pub queue: String,
    /// Entries in the stream.
    pub length: u64,
    /// Of them, never delivered.
    pub undelivered: u64,
    /// Of them, held by consumers.
    pub pending: u64,
    /// Dead letters.
    pub dead_letters: u64,
    /// Jobs acknowledged since the queue was created.
    pub acknowledged_total: u64,
    /// Jobs dead-lettered since the queue was created.
    pub dead_lettered_total: u64,
    /// Jobs acknowledged per second over the window (none for a window of 0).
    pub acknowledged_per_second: Option<f64>,
    /// The group's consumers.
    pub consumers: Vec<ConsumerLine>,
}

/// One consumer of the queue.
#[derive(Debug, Serialize)]
pub struct ConsumerLine {
    /// Its name.
    pub name: String,
    /// Entries it holds.
    pub pending: u64,
    /// Milliseconds since it last read.
    pub idle_ms: u64,
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
    let queue = Queue::new(&args.queue.queue);
    let stats = runtime.block_on(queue_stats(&args.queue.redis, &queue))?;
    let status = status_of(&args.queue.queue, &stats);
    super::print(args.queue.json, &status, &text(&status));
    Ok(())
}

fn status_of(queue: &str, stats: &QueueStats) -> Status {
    Status {
        queue: queue.to_owned(),
        length: stats.length,
        undelivered: stats.undelivered,
        pending: stats.pending,
        dead_letters: stats.dead_letters,
        acknowledged_total: stats.acknowledged_total,
        dead_lettered_total: stats.dead_lettered_total,
        acknowledged_per_second: None,
        consumers: stats
            .consumers
            .iter()
            .map(|consumer| ConsumerLine {
                name: consumer.name.clone(),
                pending: consumer.pending,
                idle_ms: consumer.idle_ms,
            })
            .collect(),
    }
}

fn text(status: &Status) -> String {
    let mut text = format!(
        "queue {}: {} in the stream ({} waiting, {} held), {} dead letters, {} consumers\n  since created: {} acknowledged, {} dead-lettered",
        status.queue,
        status.length,
        status.undelivered,
        status.pending,
        status.dead_letters,
        status.consumers.len(),
        status.acknowledged_total,
        status.dead_lettered_total
    );
    if let Some(rate) = status.acknowledged_per_second {
        text.push_str(&format!(", {rate:.0} acknowledged/s now"));
    }
    for consumer in &status.consumers {
        text.push_str(&format!(
            "\n  {}: holds {}, idle {} ms",
            consumer.name, consumer.pending, consumer.idle_ms
        ));
    }
    text
}
