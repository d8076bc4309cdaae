//! Looking at dead letters, and putting them back on the queue.

use redis::aio::ConnectionManager;
use redis::{RedisResult, Value};

use crate::error::{client, unreachable};
use crate::store::connection::{self, is_connection_error};
use crate::store::entry::Entry;
use crate::{DeadLetter, Queue, QueueError, store::scripts};

/// A queue's dead letters: jobs that failed every attempt, or could not run at all.
///
/// Its connection is opened again after it breaks; a look (`list`) that meets a broken
/// connection is sent once more on the new one.
#[derive(Clone)]
pub struct DeadLetters {
    queue: Queue,
    connection: ConnectionManager,
}

impl std::fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetters")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl DeadLetters {
    /// Connects to the dead letters of `queue` at Redis `url`.
    ///
    /// # Errors
    ///
    /// [`QueueError::BadQueueName`], [`QueueError::BadUrl`], or [`QueueError::Unreachable`]
    /// if Redis cannot be reached.
    pub async fn connect(url: &str, queue: Queue) -> Result<Self, QueueError> {
        queue.check()?;
        let mut connection = connection::commands(&client(url)?).map_err(unreachable(url))?;
        redis::cmd("PING")
            .query_async::<()>(&mut connection)
            .await
            .map_err(unreachable(url))?;
        Ok(Self { queue, connection })
    }

    /// Up to `count` dead letters, oldest first.
    ///
    /// # Errors
    ///
    /// If Redis fails (twice, when the first failure was a broken connection).
    pub async fn list(&self, count: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let reply: Value = self
            .again_if_broken(|| {
                let mut command = redis::cmd("XRANGE");
                command
                    .arg(self.queue.dead_key())
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(count);
                command
            })
            .await?;
        let Value::Array(entries) = reply else {
            return Ok(Vec::new());
        };
        Ok(entries
            .iter()
            .filter_map(|entry| Entry::parse(entry, 0))
            .map(DeadLetter::from_entry)
            .collect())
    }

    /// Puts the dead letter `id` back on the queue as a new job entry (its fields as they
    /// were; its deliveries counted from zero). The outcome kept for its last run is dropped:
    /// a wait for the job's outcome sees the new run's. Returns false if there is no such dead
    /// letter (another operator re-queued it first).
    ///
    /// Not sent again after a broken connection: the first try may have re-queued it.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave the letter re-queued or not: once sent, the script
    /// runs whole or not at all, so it is never both queued and still a dead letter.
    ///
    /// # Errors
    ///
    /// If Redis fails.
    pub async fn requeue(&self, id: &str) -> Result<bool, QueueError> {
        let mut invocation = scripts::REQUEUE.prepare_invoke();
        invocation
            .key(self.queue.dead_key())
            .key(self.queue.jobs_key())
            .key(self.queue.cancels_key())
            .arg(id)
            .arg(self.queue.result_prefix());
        let requeued: Option<String> = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(requeued.is_some())
    }

    /// Sends a read-only command; once more if the connection had broken (the manager has
    /// opened a new one by then).
    async fn again_if_broken(&self, command: impl Fn() -> redis::Cmd) -> RedisResult<Value> {
        match command().query_async(&mut self.connection.clone()).await {
            Err(error) if is_connection_error(&error) => {
                command().query_async(&mut self.connection.clone()).await
            }
            other => other,
        }
    }
}
