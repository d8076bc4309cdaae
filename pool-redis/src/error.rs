//! What can go wrong between a process and its queue.

use redis::RedisError;

use crate::consume::config::ConfigError;
use crate::redact::Redacted;

/// A queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Redis could not be reached (at start, or after the connection broke and could not be
    /// opened again).
    #[error("cannot reach Redis at {url}")]
    Unreachable {
        /// The address asked for, its password hidden.
        url: Redacted,
        /// What the client said.
        source: RedisError,
    },
    /// The URL is not a Redis URL.
    #[error("not a Redis URL ({url})")]
    BadUrl {
        /// The address given, its password hidden.
        url: Redacted,
        /// What the client said.
        source: RedisError,
    },
    /// A `rediss://` URL, in a build without pool-redis's `tls` feature.
    #[error("{url} asks for TLS: enable pool-redis's `tls` feature (features = [\"tls\"])")]
    TlsNotEnabled {
        /// The address given, its password hidden.
        url: Redacted,
    },
    /// Redis refused a write because it reached `maxmemory` (with `noeviction`, as a queue
    /// needs). Consumers keep draining (acknowledging frees memory); new jobs wait.
    #[error(
        "Redis is out of memory (maxmemory reached): it refuses new writes until consumers drain the queue or maxmemory is raised"
    )]
    OutOfMemory(#[source] RedisError),
    /// Redis took some jobs of an [`enqueue_many`](crate::Producer::enqueue_many) and refused
    /// the others (it ran out of memory midway, say).
    #[error("Redis queued {} of {} jobs and refused the others", queued.iter().flatten().count(), queued.len())]
    PartlyQueued {
        /// Each job's key if it was queued, in the order given; `None` if it was refused.
        queued: Vec<Option<uuid::Uuid>>,
        /// Why the others were refused.
        source: Box<QueueError>,
    },
    /// The Redis user may not run a command, or touch a key, that the queue needs.
    #[error("the Redis user lacks permissions the queue needs: {}", denied.join("; "))]
    NoPermission {
        /// What was refused: each command and key, as Redis said it.
        denied: Vec<String>,
    },
    /// Redis answered with an error.
    #[error("redis answered with an error")]
    Redis(#[source] RedisError),
    /// A job's payload could not be encoded.
    #[error("cannot encode the job")]
    Encode(#[from] serde_json::Error),
    /// A consumer of this name is, or was, in the group: names are never reused, so that a
    /// restarted process never takes over a dead one's entries unknowingly (they are
    /// reclaimed by the living instead).
    #[error("a consumer named {0:?} already exists in the group: pick a new name")]
    NameInUse(String),
    /// A queue name whose keys would not share one hash tag (so not one Redis Cluster slot).
    #[error("the queue name {name:?} cannot be used: {why}")]
    BadQueueName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A consumer setting that cannot work.
    #[error("bad consumer configuration")]
    Config(#[from] ConfigError),
    /// The local pool would not start.
    #[error("the consumer's local pool would not start")]
    Start(#[from] pool_core::StartError),
}

impl From<RedisError> for QueueError {
    fn from(error: RedisError) -> Self {
        if is_out_of_memory(&error) {
            Self::OutOfMemory(error)
        } else if is_no_permission(&error) {
            Self::NoPermission {
                denied: vec![error.to_string()],
            }
        } else {
            Self::Redis(error)
        }
    }
}

/// Whether Redis refused a write for want of memory.
pub(crate) fn is_out_of_memory(error: &RedisError) -> bool {
    error.code() == Some("OOM") || error.to_string().contains("OOM command not allowed")
}

/// Whether the Redis user may not run the command (ACL).
pub(crate) fn is_no_permission(error: &RedisError) -> bool {
    let text = error.to_string();
    // A command an ACL denies inside a script is not `NOPERM` (as a key is) but this.
    error.code() == Some("NOPERM") || text.contains("NOPERM") || text.contains(COMMAND_DENIED)
}

/// What Redis 7 says of a command a script may not run for its user's ACL.
pub(crate) const COMMAND_DENIED: &str = "can't run this command or subcommand";

/// A failed first contact, typed.
pub(crate) fn unreachable(url: &str) -> impl FnOnce(RedisError) -> QueueError + '_ {
    move |source| match QueueError::from(source) {
        QueueError::Redis(source) if is_connection_failure(&source) => QueueError::Unreachable {
            url: Redacted::url(url),
            source,
        },
        other => other,
    }
}

/// Whether `error` is about reaching Redis rather than a refused command.
fn is_connection_failure(error: &RedisError) -> bool {
    crate::store::connection::is_connection_error(error)
        || error.kind() == redis::ErrorKind::AuthenticationFailed
        || error.code().is_none()
}
