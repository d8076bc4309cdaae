//! Connections to Redis: every one is redis-rs's `ConnectionManager`, which opens its
//! connection again after it breaks, on tokio and on smol's reactor alike.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, RedisResult};

/// How long connecting may take before it counts as a failure.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a command that answers at once may take: past it, Redis counts as unreachable
/// (frozen, or the network cut) and the connection is opened again.
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection for commands that answer at once, opened by its first command. Clones
/// share it: their commands are pipelined on one socket.
pub(crate) fn commands(client: &Client) -> RedisResult<ConnectionManager> {
    open(client, Some(RESPONSE_TIMEOUT))
}

/// A connection of its own for commands that block on the server, with no response
/// timeout: an `XREADGROUP ... BLOCK` that timed out on the client would leave the entries
/// it was given with nobody who knows; and nothing else may share it (a command queued
/// behind a `BLOCK` waits for it).
pub(crate) fn blocking(client: &Client) -> RedisResult<ConnectionManager> {
    open(client, None)
}

/// Must be called on a runtime: the manager spawns a task that watches for disconnection.
fn open(client: &Client, response_timeout: Option<Duration>) -> RedisResult<ConnectionManager> {
    // One try per call: the callers pace their own retries, and a call must fail (and say
    // so) rather than wait through a long schedule of reconnections.
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(response_timeout)
        .set_number_of_retries(0);
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

/// Whether `error` says the connection is gone (rather than the command was wrong).
pub(crate) fn is_connection_error(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || error.is_unrecoverable_error()
}
