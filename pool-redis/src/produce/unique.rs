//! Unique jobs: enqueued under a key of the caller's that only one job at a time may hold.

use std::time::Duration;

use uuid::Uuid;

use crate::store::scripts;
use crate::{ConfigError, Producer, QueueError, RemoteJob};

/// How long a unique job's key stays taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uniqueness {
    /// Until the job finishes: acknowledged after a success, or dead-lettered. Its retries,
    /// and the waits between them, keep it taken.
    UntilFinished,
    /// For this long after the enqueue, whether the job finished or not (a debounce: at most
    /// one such job per period).
    For(Duration),
}

/// What a unique enqueue did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// The job was enqueued under this key.
    New(Uuid),
    /// The unique key was taken: nothing was enqueued; this is the key of the job that
    /// holds it.
    Duplicate(Uuid),
}

impl Enqueued {
    /// The key of the job that holds the unique key: the new one, or the one already there.
    pub fn key(self) -> Uuid {
        match self {
            Self::New(key) | Self::Duplicate(key) => key,
        }
    }

    /// Whether the unique key was taken, so nothing was enqueued.
    pub fn is_duplicate(self) -> bool {
        matches!(self, Self::Duplicate(_))
    }
}

impl Producer {
    /// Enqueues `job` unless a job holding `unique` is on the queue (or held it within the
    /// period, for [`Uniqueness::For`]). Producers racing for one key are ordered by Redis:
    /// exactly one enqueues, and the others get its key back as a duplicate, which is not
    /// an error. Unique keys are per queue.
    ///
    /// # Errors
    ///
    /// As [`enqueue`](Self::enqueue); [`QueueError::Config`] for a [`Uniqueness::For`] of
    /// zero.
    ///
    /// # Cancel safety
    ///
    /// Dropped, the job may be enqueued (with its key taken) or not.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_redis::{Enqueued, Producer, Queue, RemoteContext, RemoteJob, Uniqueness};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Report {
    ///     day: String,
    /// }
    ///
    /// impl RemoteJob for Report {
    ///     const KIND: &'static str = "report";
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
    /// let producer = Producer::connect(&url, Queue::new("reports")).await?;
    /// let report = Report { day: "2026-12-03".into() };
    /// let first = producer.enqueue_unique(&report, "report:2026-12-03", Uniqueness::UntilFinished).await?;
    /// let again = producer.enqueue_unique(&report, "report:2026-12-03", Uniqueness::UntilFinished).await?;
    /// assert!(matches!(first, Enqueued::New(_)));
    /// assert_eq!(again, Enqueued::Duplicate(first.key()));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enqueue_unique<J: RemoteJob>(
        &self,
        job: &J,
        unique: &str,
        scope: Uniqueness,
    ) -> Result<Enqueued, QueueError> {
        let lock_ms = match scope {
            Uniqueness::UntilFinished => 0,
            Uniqueness::For(period) if period.as_millis() == 0 => {
                return Err(ConfigError::Zero("Uniqueness::For").into());
            }
            Uniqueness::For(period) => u64::try_from(period.as_millis()).unwrap_or(u64::MAX),
        };
        let key = Uuid::new_v4();
        let mut invocation = scripts::ENQUEUE_UNIQUE.prepare_invoke();
        invocation
            .key(self.queue.jobs_key())
            .key(self.queue.unique_of_key())
            .key(self.queue.unique_key(unique))
            .arg(lock_ms)
            .arg(J::KIND)
            .arg(key.to_string())
            .arg(serde_json::to_string(job)?)
            .arg(crate::trace::current_traceparent().unwrap_or_default());
        let (new, holder): (u8, String) = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        let holder = Uuid::parse_str(&holder).map_err(|_| {
            QueueError::Redis(redis::RedisError::from((
                redis::ErrorKind::Parse,
                "a unique key's lock holds no job key",
                holder.clone(),
            )))
        })?;
        Ok(if new == 1 {
            Enqueued::New(holder)
        } else {
            Enqueued::Duplicate(holder)
        })
    }
}
