//! What jobs record in Redis for the runner, from the Rust-side consumers (pool-redis,
//! apalis, BullMQ's crate): how late a delayed job started (`lateness`), how long a paced
//! job waited to start (`latency`), and which job bodies ran to their end (`crash`). One connection per consumer process, opened at its start.

use std::sync::OnceLock;

use redis::aio::MultiplexedConnection;

/// The process's connection and its queue.
static RECORDER: OnceLock<(MultiplexedConnection, String)> = OnceLock::new();

/// Where jobs record how late they started, in ms, per queue.
pub(crate) fn lateness_key(queue: &str) -> String {
    format!("{{{queue}}}:lateness")
}

/// Where numbered jobs record their number when their body ends, per queue: a job whose
/// number is there twice ran to its end twice.
pub(crate) fn ends_key(queue: &str) -> String {
    format!("crash-bench:{queue}:ends")
}

/// Where paced jobs record how long after their due time they started, in µs, per queue.
pub(crate) fn latency_key(queue: &str) -> String {
    format!("crash-bench:{queue}:latency")
}

/// Opens this consumer process's connection; nothing on a cluster, whose URL a plain client
/// cannot open (nothing recorded is measured there).
pub(crate) async fn open(url: &str, queue: &str) {
    if url.starts_with("redis+cluster") {
        return;
    }
    let connection = redis::Client::open(url)
        .expect("a Redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("a connection for the jobs' records");
    let _ = RECORDER.set((connection, queue.to_owned()));
}

/// Appends `value` to the list `key_of` names for this process's queue.
pub(crate) async fn push(key_of: fn(&str) -> String, value: u64) -> redis::RedisResult<()> {
    let (connection, queue) = RECORDER.get().expect("opened at the consumer's start");
    redis::cmd("RPUSH")
        .arg(key_of(queue))
        .arg(value)
        .query_async(&mut connection.clone())
        .await
}
