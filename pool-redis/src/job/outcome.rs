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
    /// It was cancelled ([`Producer::cancel`](crate::Producer::cancel)) before it ran, or
    /// stopped when its cancellation reached it.
    Cancelled,
}

/// `RemoteOutcome::Completed`'s JSON for a job's output, written straight from the output
/// (the bytes serde writes for the outcome holding the output's `Value`), so the output is
/// converted once.
pub(crate) fn completed_json<T: Serialize>(output: &T) -> serde_json::Result<String> {
    /// Named as `RemoteOutcome`'s variant, so serde writes the same key.
    #[derive(Serialize)]
    enum RemoteOutcome<'a, T> {
        Completed(&'a T),
    }
    serde_json::to_string(&RemoteOutcome::Completed(output))
}

#[cfg(test)]
mod tests {
    use super::{RemoteOutcome, completed_json};

    #[test]
    fn an_output_is_written_as_its_outcome_would_be() {
        let output = serde_json::json!({"width": 7, "tags": ["a", "<b>"]});
        let direct = completed_json(&output).unwrap();
        let via_value = serde_json::to_string(&RemoteOutcome::Completed(output)).unwrap();
        assert_eq!(direct, via_value);
        let read: RemoteOutcome = serde_json::from_str(&completed_json(&()).unwrap()).unwrap();
        assert_eq!(read, RemoteOutcome::Completed(serde_json::Value::Null));
    }
}
