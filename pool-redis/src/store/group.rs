//! The consumer group: created once per queue (and again after Redis lost it), its consumers
//! registered, and the placeholder consumers that hold parked entries.

use crate::store::connection::Connection;
use redis::{RedisError, RedisResult};

use crate::Queue;
use crate::store::queue::GROUP;

/// The group's placeholder consumer that holds released entries until another consumer
/// takes them: `status` shows them there, not under the consumer that let them go.
pub(crate) const RELEASED_TO: &str = "(released)";

/// The group's placeholder consumer that holds failed entries while they wait out their
/// back-off: `status` shows them there.
pub(crate) const RETRYING_AT: &str = "(retrying)";

/// Creates the job stream and its group if they are missing. The group starts at the
/// beginning of the stream, so jobs enqueued before any consumer existed are delivered.
pub(crate) async fn ensure_group(connection: &mut Connection, queue: &Queue) -> RedisResult<()> {
    register(connection, queue, "").await.map(|_| ())
}

/// Ensures the group, and registers `consumer` in it (unless empty): whether it is new.
pub(crate) async fn register(
    connection: &mut Connection,
    queue: &Queue,
    consumer: &str,
) -> RedisResult<bool> {
    let mut invocation = crate::store::scripts::REGISTER.prepare_invoke();
    invocation.key(queue.jobs_key()).arg(GROUP).arg(consumer);
    let created: u64 = invocation.invoke_async(connection).await?;
    Ok(created == 1)
}

/// Whether `error` says the group is gone (Redis restarted without its data, or the stream
/// was deleted).
pub(crate) fn is_no_group(error: &RedisError) -> bool {
    error.code() == Some("NOGROUP")
}
