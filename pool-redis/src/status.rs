//! Looking at a queue from outside: its length, its consumers, its dead letters.

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use crate::error::{client, unreachable};
use crate::queue::GROUP;
use crate::stats::{ConsumerInfo, QueueStats};
use crate::{Queue, QueueError};

/// What `queue` holds now, at Redis `url`.
///
/// # Errors
///
/// If Redis cannot be reached or fails.
pub async fn queue_stats(url: &str, queue: &Queue) -> Result<QueueStats, QueueError> {
    let client = client(url)?;
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .map_err(unreachable(url))?;
    Ok(read_stats(&mut connection, queue).await?)
}

async fn read_stats(
    connection: &mut MultiplexedConnection,
    queue: &Queue,
) -> RedisResult<QueueStats> {
    let (length, dead_letters, totals): (u64, u64, (Option<u64>, Option<u64>)) = redis::pipe()
        .cmd("XLEN")
        .arg(queue.jobs_key())
        .cmd("XLEN")
        .arg(queue.dead_key())
        .cmd("HMGET")
        .arg(queue.totals_key())
        .arg("acknowledged")
        .arg("dead_lettered")
        .query_async(connection)
        .await?;
    let consumers = consumers(connection, queue).await?;
    // The group's own count: a consumer removed while holding entries (never by this
    // crate) would leave entries pending that no listed consumer shows.
    let summary: RedisResult<Vec<Value>> = redis::cmd("XPENDING")
        .arg(queue.jobs_key())
        .arg(GROUP)
        .query_async(connection)
        .await;
    let pending = match summary {
        Ok(summary) => summary
            .first()
            .and_then(|count| redis::from_redis_value_ref(count).ok())
            .unwrap_or(0),
        Err(error) if crate::group::is_no_group(&error) => 0,
        Err(error) => return Err(error),
    };
    let groups: Vec<Value> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(queue.jobs_key())
        .query_async(connection)
        .await
        .unwrap_or_default();
    // `lag` (Redis 7): entries never delivered to the group.
    let undelivered = groups
        .iter()
        .filter_map(|group| field(group, "lag"))
        .next()
        .unwrap_or(length.saturating_sub(pending));
    Ok(QueueStats {
        length,
        pending,
        undelivered,
        consumers,
        dead_letters,
        acknowledged_total: totals.0.unwrap_or(0),
        dead_lettered_total: totals.1.unwrap_or(0),
    })
}

/// The group's consumers; none if the group does not exist yet.
pub(crate) async fn consumers(
    connection: &mut MultiplexedConnection,
    queue: &Queue,
) -> RedisResult<Vec<ConsumerInfo>> {
    let listed: RedisResult<Vec<Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(queue.jobs_key())
        .arg(GROUP)
        .query_async(connection)
        .await;
    let listed = match listed {
        // No group yet, or no stream yet: a queue nobody has used.
        Err(error) if crate::group::is_no_group(&error) || is_no_such_key(&error) => {
            return Ok(Vec::new());
        }
        other => other?,
    };
    Ok(listed
        .iter()
        .map(|consumer| ConsumerInfo {
            name: text(consumer, "name").unwrap_or_default(),
            pending: field(consumer, "pending").unwrap_or(0),
            idle_ms: field(consumer, "idle").unwrap_or(0),
        })
        .collect())
}

/// Whether `error` says the stream does not exist (`XINFO` on a missing key).
fn is_no_such_key(error: &redis::RedisError) -> bool {
    error.to_string().contains("no such key")
}

/// The value of `name` in an `XINFO` reply (a flat list of names and values, or a map).
fn lookup<'a>(reply: &'a Value, name: &str) -> Option<&'a Value> {
    match reply {
        Value::Array(items) => items
            .chunks(2)
            .find(|pair| {
                redis::from_redis_value_ref::<String>(&pair[0])
                    .ok()
                    .as_deref()
                    == Some(name)
            })
            .map(|pair| &pair[1]),
        Value::Map(pairs) => pairs
            .iter()
            .find(|(key, _)| {
                redis::from_redis_value_ref::<String>(key).ok().as_deref() == Some(name)
            })
            .map(|(_, value)| value),
        _ => None,
    }
}

fn field(reply: &Value, name: &str) -> Option<u64> {
    lookup(reply, name).and_then(|value| redis::from_redis_value_ref(value).ok())
}

fn text(reply: &Value, name: &str) -> Option<String> {
    lookup(reply, name).and_then(|value| redis::from_redis_value_ref(value).ok())
}
