//! The fields of a job's stream entry and of a dead letter.

use redis::streams::StreamId;
use uuid::Uuid;

pub(crate) const KIND: &str = "kind";
pub(crate) const KEY: &str = "key";
pub(crate) const PAYLOAD: &str = "payload";

/// A job entry as read from the stream: its fields may be anything a client wrote, so each is
/// optional until checked.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) kind: Option<String>,
    pub(crate) key: Option<Uuid>,
    pub(crate) payload: Option<String>,
    /// Deliveries so far, this one included.
    pub(crate) deliveries: u32,
}

impl Entry {
    pub(crate) fn from_stream(entry: &StreamId, deliveries: u32) -> Self {
        Self {
            id: entry.id.clone(),
            kind: entry.get(KIND),
            key: entry
                .get::<String>(KEY)
                .and_then(|key| Uuid::parse_str(&key).ok()),
            payload: entry.get(PAYLOAD),
            deliveries,
        }
    }
}

/// A checked entry, held by this consumer: queued or running on the local pool.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) key: Uuid,
    pub(crate) payload: String,
    pub(crate) deliveries: u32,
    /// The attempt its local job started as (0 until it starts): set by the worker that
    /// runs it, read when it is settled.
    pub(crate) attempt: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

/// A job that will not run again unless re-queued: why, and what it was.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The dead-letter stream's entry id (for [`DeadLetters::requeue`](crate::DeadLetters::requeue)).
    pub id: String,
    /// The job's kind, as it was on the wire.
    pub kind: String,
    /// The producer's key for the job.
    pub key: String,
    /// The job's payload, as it was on the wire.
    pub payload: String,
    /// How many times it was delivered.
    pub attempts: u32,
    /// The last error, or why it could not run at all.
    pub error: String,
}

impl DeadLetter {
    pub(crate) fn from_stream(entry: &StreamId) -> Self {
        let text = |field: &str| entry.get::<String>(field).unwrap_or_default();
        Self {
            id: entry.id.clone(),
            kind: text(KIND),
            key: text(KEY),
            payload: text(PAYLOAD),
            attempts: entry.get("attempts").unwrap_or(0),
            error: text("error"),
        }
    }
}
