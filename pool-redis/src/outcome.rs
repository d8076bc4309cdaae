//! A remote job's outcome, as a producer may read it.

use serde::{Deserialize, Serialize};

/// What became of a remote job, kept for a while if the consumers keep outcomes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RemoteOutcome {
    /// It ran to success; its output, as JSON.
    Completed(serde_json::Value),
    /// It will not run again unless re-queued from the dead letters.
    DeadLettered {
        /// Its last error, or why it could not run.
        error: String,
    },
}
