//! Enqueueing jobs for later: after a delay, or at an instant. They wait in the queue's
//! delayed set, and a consumer moves each into the stream when it is due.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::store::scripts;
use crate::{Producer, QueueError, RemoteJob};

/// When a delayed job is due.
#[derive(Clone, Copy, Debug)]
enum Due {
    /// This long after now, by Redis's clock.
    In(Duration),
    /// At this instant.
    At(SystemTime),
}

impl Producer {
    /// Enqueues `job` to run once `delay` has passed (by Redis's clock, so producers and
    /// consumers on machines whose clocks disagree still agree on when), and returns its key.
    ///
    /// The job waits in the queue's delayed set; whichever consumer looks first once it is
    /// due moves it into the stream, once (see
    /// [`promote_every`](crate::ConsumerBuilder::promote_every) for how late that can be).
    ///
    /// # Errors
    ///
    /// As [`enqueue`](Self::enqueue).
    ///
    /// # Cancel safety
    ///
    /// As [`enqueue`](Self::enqueue): dropped, the job may be queued or not.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Producer, Queue, RemoteContext, RemoteJob, queue_stats};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Remind {
    ///     user: u64,
    /// }
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
    /// let queue = Queue::new("reminders");
    /// let producer = Producer::connect(&url, queue.clone()).await?;
    /// producer.enqueue_in(&Remind { user: 7 }, Duration::from_secs(3600)).await?;
    /// let stats = queue_stats(&url, &queue).await?;
    /// assert_eq!((stats.delayed, stats.length), (1, 0));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enqueue_in<J: RemoteJob>(
        &self,
        job: &J,
        delay: Duration,
    ) -> Result<Uuid, QueueError> {
        let keys = self
            .enqueue_later(std::slice::from_ref(job), Due::In(delay))
            .await?;
        Ok(keys[0])
    }

    /// Enqueues `job` to run at `when` (or at once, if that has passed), and returns its key.
    /// As [`enqueue_in`](Self::enqueue_in) otherwise.
    ///
    /// # Errors
    ///
    /// As [`enqueue`](Self::enqueue).
    ///
    /// # Cancel safety
    ///
    /// As [`enqueue`](Self::enqueue): dropped, the job may be queued or not.
    pub async fn enqueue_at<J: RemoteJob>(
        &self,
        job: &J,
        when: SystemTime,
    ) -> Result<Uuid, QueueError> {
        let keys = self
            .enqueue_later(std::slice::from_ref(job), Due::At(when))
            .await?;
        Ok(keys[0])
    }

    /// Enqueues `jobs` in one round trip, all to run once `delay` has passed, and returns
    /// their keys in order. All or none are queued: one script puts them all in.
    ///
    /// # Errors
    ///
    /// As [`enqueue`](Self::enqueue) (an out-of-memory Redis refuses the whole call).
    ///
    /// # Cancel safety
    ///
    /// Dropped, either all the jobs are queued or none is.
    pub async fn enqueue_many_in<J: RemoteJob>(
        &self,
        jobs: &[J],
        delay: Duration,
    ) -> Result<Vec<Uuid>, QueueError> {
        self.enqueue_later(jobs, Due::In(delay)).await
    }

    /// Enqueues `jobs` in one round trip, all to run at `when`, and returns their keys in
    /// order. As [`enqueue_many_in`](Self::enqueue_many_in) otherwise.
    ///
    /// # Errors
    ///
    /// As [`enqueue`](Self::enqueue) (an out-of-memory Redis refuses the whole call).
    ///
    /// # Cancel safety
    ///
    /// Dropped, either all the jobs are queued or none is.
    pub async fn enqueue_many_at<J: RemoteJob>(
        &self,
        jobs: &[J],
        when: SystemTime,
    ) -> Result<Vec<Uuid>, QueueError> {
        self.enqueue_later(jobs, Due::At(when)).await
    }

    async fn enqueue_later<J: RemoteJob>(
        &self,
        jobs: &[J],
        due: Due,
    ) -> Result<Vec<Uuid>, QueueError> {
        let (mode, millis) = match due {
            Due::In(delay) => ("in", delay.as_millis()),
            Due::At(when) => (
                "at",
                when.duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis(),
            ),
        };
        let mut invocation = scripts::ENQUEUE_LATER.prepare_invoke();
        invocation
            .key(self.queue.delayed_key())
            .key(self.queue.delayed_jobs_key())
            .arg(mode)
            .arg(u64::try_from(millis).unwrap_or(u64::MAX))
            .arg(crate::trace::current_traceparent().unwrap_or_default());
        let mut keys = Vec::with_capacity(jobs.len());
        for job in jobs {
            let key = Uuid::new_v4();
            invocation
                .arg(J::KIND)
                .arg(key.to_string())
                .arg(serde_json::to_string(job)?);
            keys.push(key);
        }
        if keys.is_empty() {
            return Ok(keys);
        }
        let _due_ms: u64 = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(keys)
    }
}
