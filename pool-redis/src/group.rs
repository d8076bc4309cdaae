//! Creating the consumer group, once per queue, and again after Redis lost it.

use redis::aio::ConnectionManager;
use redis::{RedisError, RedisResult};

use crate::Queue;
use crate::queue::GROUP;

/// Creates the job stream and its group if they are missing. The group starts at the
/// beginning of the stream, so jobs enqueued before any consumer existed are delivered.
pub(crate) async fn ensure_group(
    connection: &mut ConnectionManager,
    queue: &Queue,
) -> RedisResult<()> {
    let created: RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(queue.jobs_key())
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(connection)
        .await;
    match created {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// Whether `error` says the group is gone (Redis restarted without its data, or the stream
/// was deleted).
pub(crate) fn is_no_group(error: &RedisError) -> bool {
    error.code() == Some("NOGROUP")
}
