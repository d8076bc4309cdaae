//! Looking at a queue from outside: its length, its consumers, what is parked, in one
//! snapshot.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::store::connection::Connection;
use redis::RedisResult;
use serde::{Deserialize, Serialize};

use crate::error::unreachable;
use crate::store::group::{RELEASED_TO, RETRYING_AT};
use crate::store::queue::GROUP;
use crate::store::server::Server;
use crate::{ConsumerPresence, Queue, QueueError, store::scripts};

/// What `queue` holds now, at Redis `url`: one snapshot, read in one script, so its numbers
/// add up (`length` = `undelivered` + `pending` when nothing was deleted while pending, and
/// `pending` = the consumers' holdings + `released`; the delayed jobs, retries among them,
/// wait apart, in `delayed`).
///
/// # Errors
///
/// [`QueueError::BadQueueName`], [`QueueError::BadUrl`], [`QueueError::Unreachable`], or
/// what Redis answered.
pub async fn queue_stats(url: &str, queue: &Queue) -> Result<QueueStats, QueueError> {
    queue.check()?;
    let mut connection = Server::open(url)?.commands().map_err(unreachable(url))?;
    snapshot(&mut connection, queue)
        .await
        .map_err(unreachable(url))
}

/// The `SNAPSHOT` script's reply: see there.
type Snapshot = (
    u64,
    u64,
    u64,
    u64,
    u64,
    i64,
    Vec<(String, u64, u64, String)>,
    u64,
    u64,
    i64,
    u64,
    u64,
);

/// The queue's state, in one script call.
pub(crate) async fn snapshot(
    connection: &mut Connection,
    queue: &Queue,
) -> RedisResult<QueueStats> {
    let mut invocation = scripts::SNAPSHOT.prepare_invoke();
    invocation
        .key(queue.jobs_key())
        .key(queue.dead_key())
        .key(queue.totals_key())
        .key(queue.delayed_key())
        .key(queue.presence_key())
        .arg(GROUP);
    let (
        length,
        dead_letters,
        acknowledged,
        dead_lettered,
        pending,
        lag,
        consumers,
        delayed,
        delayed_retries,
        next_due,
        cancelled,
        now_ms,
    ): Snapshot = invocation.invoke_async(connection).await?;
    // The placeholders that hold parked entries are no consumers: counted apart.
    let parked = |name: &str| {
        consumers
            .iter()
            .find(|(holder, ..)| holder == name)
            .map_or(0, |(_, pending, ..)| *pending)
    };
    // Retries wait in the delayed set; a consumer of an earlier version parked them in the
    // stream, under `(retrying)`.
    let retrying = delayed_retries.min(delayed) + parked(RETRYING_AT);
    let released = parked(RELEASED_TO);
    let consumers: Vec<_> = consumers
        .into_iter()
        .filter(|(name, ..)| name != RETRYING_AT && name != RELEASED_TO)
        .collect();
    Ok(QueueStats {
        length,
        pending,
        retrying,
        released,
        // `lag` (Redis 7) is unknown after some deletions: then what is not pending.
        undelivered: u64::try_from(lag).unwrap_or(length.saturating_sub(pending)),
        consumers: consumers
            .into_iter()
            .map(|(name, pending, idle_ms, presence)| ConsumerInfo {
                name,
                pending,
                idle_ms,
                presence: ConsumerPresence::parse(&presence, now_ms),
            })
            .collect(),
        dead_letters,
        delayed,
        next_due: u64::try_from(next_due)
            .ok()
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)),
        acknowledged_total: acknowledged,
        dead_lettered_total: dead_lettered,
        cancelled_total: cancelled,
        taken_at: UNIX_EPOCH + Duration::from_millis(now_ms),
    })
}

/// The group's consumers; none if the group does not exist yet.
pub(crate) async fn consumers(
    connection: &mut Connection,
    queue: &Queue,
) -> RedisResult<Vec<ConsumerInfo>> {
    Ok(snapshot(connection, queue).await?.consumers)
}

/// What a queue holds now, from [`queue_stats`](crate::queue_stats).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueStats {
    /// Entries in the job stream: waiting, or held by a consumer.
    pub length: u64,
    /// Entries delivered and not yet acknowledged: held by a consumer, or released.
    pub pending: u64,
    /// Failed jobs waiting out their back-off before a retry: of `delayed` (and of `pending`,
    /// for those a consumer of an earlier version left in the stream).
    pub retrying: u64,
    /// Of `pending`, entries a stopping consumer gave back, for another to take.
    pub released: u64,
    /// Entries never delivered yet.
    pub undelivered: u64,
    /// Each consumer of the group (the placeholders that hold parked entries aside).
    pub consumers: Vec<ConsumerInfo>,
    /// Entries in the dead-letter stream.
    pub dead_letters: u64,
    /// Jobs waiting for a time in the delayed set: delayed or scheduled ones, and retries
    /// waiting out their back-off. Not in `length`: they enter the stream when due.
    pub delayed: u64,
    /// When the next delayed job is due (by Redis's clock), if there is one.
    pub next_due: Option<SystemTime>,
    /// Jobs acknowledged since the queue was created, by every consumer.
    pub acknowledged_total: u64,
    /// Jobs dead-lettered since the queue was created (re-queued ones included).
    pub dead_lettered_total: u64,
    /// Jobs cancelled by their key since the queue was created: removed while they waited
    /// for their time, or settled as cancelled by a consumer.
    pub cancelled_total: u64,
    /// When the snapshot was taken, by Redis's clock (the one consumers' heartbeats and
    /// `next_due` are read by).
    pub taken_at: SystemTime,
}

/// One consumer of a queue's group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsumerInfo {
    /// Its name.
    pub name: String,
    /// Entries it holds.
    pub pending: u64,
    /// Milliseconds since it last read or claimed.
    pub idle_ms: u64,
    /// What it last said about itself (host, process, runtime, when Redis last heard from
    /// it); `None` for a consumer of an earlier version, or one that has not run yet.
    pub presence: Option<ConsumerPresence>,
}

impl ConsumerInfo {
    /// Whether it looks dead: it missed its last three heartbeats. A consumer without a
    /// heartbeat cannot be judged: `false`.
    pub fn looks_dead(&self) -> bool {
        self.presence
            .as_ref()
            .is_some_and(ConsumerPresence::looks_dead)
    }
}
