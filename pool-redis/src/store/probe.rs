//! Checking, at connect, that the Redis user may do everything a consumer will do: a user
//! limited by an ACL would otherwise connect, read, and stall on the first command it may
//! not send.

use crate::store::connection::Connection;

use crate::error::is_no_permission;
use crate::store::queue::GROUP;
use crate::{Queue, QueueError, store::scripts};

/// Runs the probe script (which changes nothing) as this consumer on each of its keys: `Ok`
/// if Redis refused nothing, else every refusal.
pub(crate) async fn permissions(
    connection: &mut Connection,
    queue: &Queue,
    consumer: &str,
    limited_kinds: &[&str],
) -> Result<(), QueueError> {
    let mut keys = vec![
        (queue.jobs_key(), "jobs"),
        (queue.dead_key(), "dead"),
        (queue.errors_key(), "hash"),
        (queue.runs_key(), "hash"),
        (queue.totals_key(), "hash"),
        (queue.memo_key(consumer), "memo"),
        (queue.parked_key(), "hash"),
        (queue.presence_key(), "hash"),
        (queue.delayed_key(), "zset"),
        (queue.delayed_jobs_key(), "hash"),
        (queue.unique_of_key(), "hash"),
        (queue.cancels_key(), "zset"),
        (queue.periodic_key(), "hash"),
        (queue.unique_key("\0probe"), "string"),
        (queue.result_key(&uuid::Uuid::nil()), "list"),
        (queue.progress_key(&uuid::Uuid::nil()), "progress"),
    ];
    // The limits' keys, for the kinds that have them.
    if !limited_kinds.is_empty() {
        keys.push((queue.rate_limits_key(), "hash"));
    }
    for kind in limited_kinds {
        keys.push((queue.running_key(kind), "slots"));
        keys.push((queue.slot_waiters_key(kind), "slots"));
    }
    let mut denied = Vec::new();
    for (key, role) in keys {
        let mut invocation = scripts::PROBE.prepare_invoke();
        invocation.key(&key).arg(role).arg(GROUP).arg(consumer);
        match invocation.invoke_async::<Vec<String>>(connection).await {
            Ok(refused) => denied.extend(refused),
            // The key itself, or scripts (EVALSHA, SCRIPT LOAD), refused.
            Err(error) if is_no_permission(&error) => denied.push(format!("{key}: {error}")),
            Err(error) => return Err(error.into()),
        }
    }
    if denied.is_empty() {
        Ok(())
    } else {
        Err(QueueError::NoPermission { denied })
    }
}
