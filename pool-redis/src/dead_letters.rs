//! Looking at dead letters, and putting them back on the queue.

use redis::aio::MultiplexedConnection;
use redis::streams::StreamRangeReply;

use crate::error::{client, unreachable};
use crate::{DeadLetter, Queue, QueueError, scripts};

/// A queue's dead letters: jobs that failed every attempt, or could not run at all.
#[derive(Debug)]
pub struct DeadLetters {
    queue: Queue,
    connection: MultiplexedConnection,
}

impl DeadLetters {
    /// Connects to the dead letters of `queue` at Redis `url`.
    ///
    /// # Errors
    ///
    /// If Redis cannot be reached.
    pub async fn connect(url: &str, queue: Queue) -> Result<Self, QueueError> {
        let connection = client(url)?
            .get_multiplexed_async_connection()
            .await
            .map_err(unreachable(url))?;
        Ok(Self { queue, connection })
    }

    /// Up to `count` dead letters, oldest first.
    ///
    /// # Errors
    ///
    /// If Redis fails.
    pub async fn list(&self, count: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.queue.dead_key())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(reply.ids.iter().map(DeadLetter::from_stream).collect())
    }

    /// Puts the dead letter `id` back on the queue as a new job entry (same kind, key and
    /// payload; its deliveries counted from zero). Returns false if there is no such dead
    /// letter (another operator re-queued it first).
    ///
    /// # Errors
    ///
    /// If Redis fails.
    pub async fn requeue(&self, id: &str) -> Result<bool, QueueError> {
        let mut invocation = scripts::REQUEUE.prepare_invoke();
        invocation
            .key(self.queue.dead_key())
            .key(self.queue.jobs_key())
            .arg(id);
        let requeued: Option<String> = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(requeued.is_some())
    }
}
