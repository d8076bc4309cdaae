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

impl RemoteOutcome {
    /// The name serde gives `Completed` on the wire.
    pub(crate) const COMPLETED: &'static str = "Completed";
}

#[cfg(test)]
mod tests {
    use super::RemoteOutcome;

    #[test]
    fn the_wire_name_is_serdes() {
        let json = serde_json::to_string(&RemoteOutcome::Completed(7.into())).unwrap();
        assert_eq!(json, format!("{{\"{}\":7}}", RemoteOutcome::COMPLETED));
    }
}
