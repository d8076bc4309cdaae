//! Where a job is, by its key: the answer to "what happened to my job?".

use std::time::SystemTime;

use serde::Serialize;

use crate::{DeadLetter, Progress, RemoteOutcome};

/// Where a job is now, from [`Inspector::find_job`](crate::Inspector::find_job).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub enum JobState {
    /// In the stream, not yet read by any consumer.
    Waiting {
        /// Its entry's id.
        entry: String,
    },
    /// Read by a consumer: queued on its local pool, or running.
    Held {
        /// Its entry's id.
        entry: String,
        /// The consumer holding it.
        consumer: String,
        /// Milliseconds since its holder last read, claimed or renewed it.
        idle_ms: u64,
        /// How many times it was delivered (this delivery included).
        deliveries: u64,
    },
    /// Given back by a stopping consumer, unstarted: the next consumer to look takes it.
    Released {
        /// Its entry's id.
        entry: String,
    },
    /// Waiting in the delayed set for a time.
    Delayed {
        /// When it is due (by Redis's clock).
        due: SystemTime,
        /// Why it waits.
        reason: DelayReason,
    },
    /// Failed every attempt, or could not run at all: it runs again only if re-queued.
    DeadLettered(Box<DeadLetter>),
    /// Ran to an outcome that the consumers kept
    /// ([`keep_outcomes`](crate::ConsumerBuilder::keep_outcomes)).
    Finished(RemoteOutcome),
    /// Nowhere: never enqueued here, acknowledged with no outcome kept, or its outcome
    /// expired.
    Unknown,
}

/// Why a job waits in the delayed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum DelayReason {
    /// Enqueued to run later, or a periodic job's tick.
    Scheduled,
    /// A failed run waiting out its back-off before the next attempt.
    Retry,
    /// Over its kind's rate or concurrency limit, waiting for its turn.
    Limit,
    /// Written by something else than this crate.
    Unknown,
}

impl DelayReason {
    /// The marker the delayed record starts with.
    pub(crate) fn from_marker(marker: i64) -> Self {
        match marker {
            0 => Self::Scheduled,
            1 => Self::Retry,
            2 => Self::Limit,
            _ => Self::Unknown,
        }
    }
}

/// A job found by its key: where it is, and its latest progress report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JobWhereabouts {
    /// The job's key.
    pub key: uuid::Uuid,
    /// Where it is.
    pub state: JobState,
    /// Its latest progress report, if it made one and it is still kept.
    pub progress: Option<Progress>,
}
