//! Checking, at connect, that the Redis user may do everything a consumer will do: a user
//! limited by an ACL would otherwise connect, read, and stall on the first command it may
//! not send.

use redis::aio::ConnectionManager;

use crate::error::is_no_permission;
use crate::queue::GROUP;
use crate::{Queue, QueueError, scripts};

/// Runs the probe script (which changes nothing) as this consumer: `Ok` if Redis refused
/// nothing, else every refusal.
pub(crate) async fn permissions(
    connection: &mut ConnectionManager,
    queue: &Queue,
    consumer: &str,
) -> Result<(), QueueError> {
    let mut invocation = scripts::PROBE.prepare_invoke();
    invocation
        .key(queue.jobs_key())
        .key(queue.dead_key())
        .key(queue.errors_key())
        .key(queue.runs_key())
        .key(queue.totals_key())
        .key(queue.released_key())
        .key(queue.memo_key(consumer))
        .key(queue.result_key(&uuid::Uuid::nil()))
        .arg(GROUP)
        .arg(consumer);
    let refused: Vec<String> = match invocation.invoke_async(connection).await {
        Ok(refused) => refused,
        // Scripts themselves refused (EVALSHA, SCRIPT LOAD): the queue runs on scripts.
        Err(error) if is_no_permission(&error) => vec![error.to_string()],
        Err(error) => return Err(error.into()),
    };
    if refused.is_empty() {
        Ok(())
    } else {
        Err(QueueError::NoPermission { denied: refused })
    }
}
