//! Cancelling a job by its key, wherever it is: waiting for its time, queued, or running.

use std::time::Duration;

use uuid::Uuid;

use crate::store::scripts;
use crate::{Producer, QueueError};

/// How long a cancel asked of a queued or running job is remembered: a job still queued after
/// this long is no longer cancelled when a consumer reaches it.
pub const CANCEL_REMEMBERED: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long the outcome of a delayed job cancelled at once is kept, for
/// [`Producer::wait_outcome`].
pub const CANCELLED_OUTCOME_KEPT: Duration = Duration::from_secs(24 * 3600);

/// What a cancel did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cancel {
    /// The job was waiting for its time (delayed, scheduled, or waiting out a retry's
    /// back-off): it was removed, and its outcome is [`Cancelled`](crate::RemoteOutcome::Cancelled).
    Removed,
    /// The job may be queued or running: the consumer that reaches it does not start it,
    /// and the one running it fires its cancellation ([`RemoteContext::cancelled`](crate::RemoteContext::cancelled))
    /// at its next lease renewal (within a third of the visibility timeout). It then ends
    /// cancelled, unless it succeeds first. A key no consumer ever reaches (unknown, or
    /// finished without keeping its outcome) is asked in vain.
    Requested,
    /// Its outcome is kept already: it has finished.
    Finished,
}

impl Producer {
    /// Cancels the job `key`: removes it if it waits for its time, or asks the consumers to
    /// cancel it when they reach it or while it runs. Its outcome, if kept, becomes
    /// [`Cancelled`](crate::RemoteOutcome::Cancelled) (a job that succeeds before the cancel
    /// reaches it keeps its success).
    ///
    /// # Errors
    ///
    /// If Redis fails or cannot be reached.
    ///
    /// # Cancel safety
    ///
    /// Dropped, the cancel may have been done or not (one script does it whole).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Cancel, Producer, Queue, RemoteContext, RemoteJob, RemoteOutcome};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Remind;
    ///
    /// impl RemoteJob for Remind {
    ///     const KIND: &'static str = "remind";
    ///     type Output = ();
    ///
    ///     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pool_redis::QueueError> {
    /// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
    /// # let url = server.url();
    /// let producer = Producer::connect(&url, Queue::new("reminders")).await?;
    /// let key = producer.enqueue_in(&Remind, Duration::from_secs(3600)).await?;
    /// assert_eq!(producer.cancel(key).await?, Cancel::Removed);
    /// let outcome = producer.wait_outcome(key, Duration::from_secs(1)).await?;
    /// assert_eq!(outcome, Some(RemoteOutcome::Cancelled));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cancel(&self, key: Uuid) -> Result<Cancel, QueueError> {
        let millis = |period: Duration| u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
        let mut invocation = scripts::CANCEL.prepare_invoke();
        invocation
            .key(self.queue.delayed_key())
            .key(self.queue.delayed_jobs_key())
            .key(self.queue.cancels_key())
            .key(self.queue.totals_key())
            .key(self.queue.unique_of_key())
            .key(self.queue.errors_key())
            .key(self.queue.runs_key())
            .key(self.queue.result_key(&key))
            .arg(key.to_string())
            .arg(millis(CANCEL_REMEMBERED))
            .arg(millis(CANCELLED_OUTCOME_KEPT));
        let done: u8 = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(match done {
            1 => Cancel::Removed,
            3 => Cancel::Finished,
            _ => Cancel::Requested,
        })
    }
}
