//! A running job asked to stop by its handle or its set, as its context sees it.

use event_listener::EventListener;

use crate::JobId;

/// A job's handle (or its set) asking it to stop: what the context needs of where the job's
/// outcome goes.
pub(crate) trait AbortSignal: Send + Sync {
    /// Whether the job `job` was asked to stop.
    fn is_aborted(&self, job: JobId) -> bool;
    fn listen(&self) -> EventListener;
}
