//! What can go wrong between a process and its queue.

/// A queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Redis could not be reached (at start, or after the connection broke and could not be
    /// opened again).
    #[error("cannot reach Redis at {url}: {source}")]
    Unreachable {
        /// The address asked for.
        url: String,
        /// What the client said.
        source: redis::RedisError,
    },
    /// The URL is not a Redis URL.
    #[error("not a Redis URL ({url}): {source}")]
    BadUrl {
        /// The address given.
        url: String,
        /// What the client said.
        source: redis::RedisError,
    },
    /// Redis answered with an error.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A job's payload could not be encoded.
    #[error("cannot encode the job: {0}")]
    Encode(#[from] serde_json::Error),
    /// A consumer of this name is, or was, in the group: names are never reused, so that a
    /// restarted process never takes over a dead one's entries unknowingly (they are
    /// reclaimed by the living instead).
    #[error("a consumer named {0:?} already exists in the group: pick a new name")]
    NameInUse(String),
    /// A consumer setting out of range (0 workers, say).
    #[error("bad consumer configuration: {0}")]
    Config(String),
}

/// Opens a client for `url`, typed.
pub(crate) fn client(url: &str) -> Result<redis::Client, QueueError> {
    redis::Client::open(url).map_err(|source| QueueError::BadUrl {
        url: url.to_owned(),
        source,
    })
}

/// A failed first contact, typed.
pub(crate) fn unreachable(url: &str) -> impl FnOnce(redis::RedisError) -> QueueError + '_ {
    move |source| QueueError::Unreachable {
        url: url.to_owned(),
        source,
    }
}
