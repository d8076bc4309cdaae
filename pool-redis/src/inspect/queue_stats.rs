//! Looking at a queue from outside: its length, its consumers, what is parked, in one
//! snapshot.

use redis::RedisResult;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

use crate::error::{client, unreachable};
use crate::store::connection;
use crate::store::group::{RELEASED_TO, RETRYING_AT};
use crate::store::queue::GROUP;
use crate::{Queue, QueueError, store::scripts};

/// What `queue` holds now, at Redis `url`: one snapshot, read in one script, so its numbers
/// add up (`length` = `undelivered` + `pending` when nothing was deleted while pending, and
/// `pending` = the consumers' holdings + `retrying` + `released`).
///
/// # Errors
///
/// [`QueueError::BadQueueName`], [`QueueError::BadUrl`], [`QueueError::Unreachable`], or
/// what Redis answered.
pub async fn queue_stats(url: &str, queue: &Queue) -> Result<QueueStats, QueueError> {
    queue.check()?;
    let mut connection = connection::commands(&client(url)?).map_err(unreachable(url))?;
    snapshot(&mut connection, queue)
        .await
        .map_err(unreachable(url))
}

/// The `SNAPSHOT` script's reply: see there.
type Snapshot = (u64, u64, u64, u64, u64, i64, Vec<(String, u64, u64)>);

/// The queue's state, in one script call.
pub(crate) async fn snapshot(
    connection: &mut ConnectionManager,
    queue: &Queue,
) -> RedisResult<QueueStats> {
    let mut invocation = scripts::SNAPSHOT.prepare_invoke();
    invocation
        .key(queue.jobs_key())
        .key(queue.dead_key())
        .key(queue.totals_key())
        .arg(GROUP);
    let (length, dead_letters, acknowledged, dead_lettered, pending, lag, consumers): Snapshot =
        invocation.invoke_async(connection).await?;
    // The placeholders that hold parked entries are no consumers: counted apart.
    let parked = |name: &str| {
        consumers
            .iter()
            .find(|(holder, ..)| holder == name)
            .map_or(0, |(_, pending, _)| *pending)
    };
    let (retrying, released) = (parked(RETRYING_AT), parked(RELEASED_TO));
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
            .map(|(name, pending, idle_ms)| ConsumerInfo {
                name,
                pending,
                idle_ms,
            })
            .collect(),
        dead_letters,
        acknowledged_total: acknowledged,
        dead_lettered_total: dead_lettered,
    })
}

/// The group's consumers; none if the group does not exist yet.
pub(crate) async fn consumers(
    connection: &mut ConnectionManager,
    queue: &Queue,
) -> RedisResult<Vec<ConsumerInfo>> {
    Ok(snapshot(connection, queue).await?.consumers)
}

/// What a queue holds now, from [`queue_stats`](crate::queue_stats).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueStats {
    /// Entries in the job stream: waiting, or held by a consumer.
    pub length: u64,
    /// Entries delivered and not yet acknowledged: held by a consumer, waiting out a retry's
    /// back-off, or released.
    pub pending: u64,
    /// Of `pending`, failed entries waiting out their back-off before a retry.
    pub retrying: u64,
    /// Of `pending`, entries a stopping consumer gave back, for another to take.
    pub released: u64,
    /// Entries never delivered yet.
    pub undelivered: u64,
    /// Each consumer of the group (the placeholders that hold parked entries aside).
    pub consumers: Vec<ConsumerInfo>,
    /// Entries in the dead-letter stream.
    pub dead_letters: u64,
    /// Jobs acknowledged since the queue was created, by every consumer.
    pub acknowledged_total: u64,
    /// Jobs dead-lettered since the queue was created (re-queued ones included).
    pub dead_lettered_total: u64,
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
}
