//! Looking at dead letters, and putting them back on the queue.

use crate::store::connection::Connection;
use redis::{RedisResult, Value};

use crate::error::unreachable;
use crate::store::connection::is_connection_error;
use crate::store::entry::Entry;
use crate::store::operator_scripts::{REQUEUE, REQUEUE_RANGE};
use crate::store::server::Server;
use crate::{DeadLetter, Queue, QueueError};

/// Dead letters re-queued per script call by [`DeadLetters::requeue_all`]: small enough
/// that Redis is never held for long.
const REQUEUE_PAGE: usize = 100;

/// Dead letters read per round trip while looking for a job's key.
const SCAN_PAGE: usize = 500;

/// A queue's dead letters: jobs that failed every attempt, or could not run at all.
///
/// Its connection is opened again after it breaks; a look (`list`) that meets a broken
/// connection is sent once more on the new one.
#[derive(Clone)]
pub struct DeadLetters {
    queue: Queue,
    connection: Connection,
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
        let mut connection = Server::open(url)?.commands().map_err(unreachable(url))?;
        connection.ping().await.map_err(unreachable(url))?;
        Ok(Self { queue, connection })
    }

    /// The dead letters of `queue`, on a connection of someone else's (an inspector's).
    pub(crate) fn on(connection: Connection, queue: Queue) -> Self {
        Self { queue, connection }
    }

    /// Up to `count` dead letters, oldest first.
    ///
    /// # Errors
    ///
    /// If Redis fails (twice, when the first failure was a broken connection).
    pub async fn list(&self, count: usize) -> Result<Vec<DeadLetter>, QueueError> {
        self.range("XRANGE", "-", "+", count).await
    }

    /// Up to `count` dead letters, newest first: what an operator looks at first.
    ///
    /// # Errors
    ///
    /// If Redis fails (twice, when the first failure was a broken connection).
    pub async fn newest(&self, count: usize) -> Result<Vec<DeadLetter>, QueueError> {
        self.range("XREVRANGE", "+", "-", count).await
    }

    /// How many dead letters there are.
    ///
    /// # Errors
    ///
    /// If Redis fails (twice, when the first failure was a broken connection).
    pub async fn count(&self) -> Result<u64, QueueError> {
        let reply = self
            .again_if_broken(|| {
                let mut command = redis::cmd("XLEN");
                command.arg(self.queue.dead_key());
                command
            })
            .await?;
        Ok(match reply {
            Value::Int(count) => u64::try_from(count).unwrap_or(0),
            _ => 0,
        })
    }

    /// The dead letter `id`, if there is one.
    ///
    /// # Errors
    ///
    /// If Redis fails (twice, when the first failure was a broken connection).
    pub async fn get(&self, id: &str) -> Result<Option<DeadLetter>, QueueError> {
        if !is_entry_id(id) {
            return Ok(None);
        }
        Ok(self.range("XRANGE", id, id, 1).await?.pop())
    }

    /// The newest dead letter of the job `key`, if there is one. Dead letters are not
    /// indexed by key: this reads them all, newest first, a page at a time.
    ///
    /// # Errors
    ///
    /// If Redis fails (twice, when the first failure was a broken connection).
    pub async fn find(&self, key: &uuid::Uuid) -> Result<Option<DeadLetter>, QueueError> {
        let key = key.to_string();
        let mut before = "+".to_owned();
        loop {
            let page = self.range("XREVRANGE", &before, "-", SCAN_PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(None);
            };
            before = format!("({}", last.id);
            let full = page.len() == SCAN_PAGE;
            if let Some(letter) = page.into_iter().find(|letter| letter.key == key) {
                return Ok(Some(letter));
            }
            if !full {
                return Ok(None);
            }
        }
    }

    /// The dead letters between `from` and `to` (stream ids, `-` and `+` for the ends), up
    /// to `count`, by `XRANGE` or `XREVRANGE` (which takes them from the other end).
    async fn range(
        &self,
        command: &str,
        from: &str,
        to: &str,
        count: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let reply: Value = self
            .again_if_broken(|| {
                let mut command = redis::cmd(command);
                command
                    .arg(self.queue.dead_key())
                    .arg(from)
                    .arg(to)
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
        if !is_entry_id(id) {
            return Ok(false);
        }
        let mut invocation = self.requeuing(&REQUEUE);
        invocation.arg(id);
        let requeued: Option<String> = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(requeued.is_some())
    }

    /// Re-queues every dead letter there is when it starts (not those that die while it
    /// runs, so that it ends even while jobs keep failing), a hundred per script call, oldest
    /// first; returns how many. A letter that holds no job fields (nothing to run) stays.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops between calls: the letters re-queued so far are re-queued,
    /// the others stay dead letters, none is both.
    ///
    /// # Errors
    ///
    /// If Redis fails; the letters re-queued before it did stay re-queued.
    pub async fn requeue_all(&self) -> Result<u64, QueueError> {
        let Some(last) = self.newest(1).await?.pop() else {
            return Ok(0);
        };
        let (mut requeued, mut cursor) = (0, "-".to_owned());
        loop {
            let mut invocation = self.requeuing(&REQUEUE_RANGE);
            invocation.arg(&cursor).arg(&last.id).arg(REQUEUE_PAGE);
            let (page, next): (u64, String) = invocation
                .invoke_async(&mut self.connection.clone())
                .await?;
            requeued += page;
            if next.is_empty() {
                return Ok(requeued);
            }
            cursor = next;
        }
    }

    /// Deletes the dead letter `id`: the job is gone for good. Returns false if there was no
    /// such letter.
    ///
    /// # Errors
    ///
    /// If Redis fails.
    pub async fn delete(&self, id: &str) -> Result<bool, QueueError> {
        if !is_entry_id(id) {
            return Ok(false);
        }
        let deleted: u64 = redis::cmd("XDEL")
            .arg(self.queue.dead_key())
            .arg(id)
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(deleted == 1)
    }

    /// Deletes every dead letter there is when it starts, in one command (letters that die
    /// meanwhile stay); returns how many.
    ///
    /// # Errors
    ///
    /// If Redis fails.
    pub async fn delete_all(&self) -> Result<u64, QueueError> {
        let Some(last) = self.newest(1).await?.pop() else {
            return Ok(0);
        };
        // Every entry below the id just after the last one: the last included.
        let (ms, seq) = last.id.split_once('-').unwrap_or((&last.id, "0"));
        let above = match seq.parse::<u64>() {
            Ok(seq) if seq < u64::MAX => format!("{ms}-{}", seq + 1),
            _ => format!("{}-0", ms.parse::<u64>().unwrap_or(0).saturating_add(1)),
        };
        Ok(redis::cmd("XTRIM")
            .arg(self.queue.dead_key())
            .arg("MINID")
            .arg(above)
            .query_async(&mut self.connection.clone())
            .await?)
    }

    /// A call of a re-queueing script, its keys and first argument given (both scripts
    /// take the same: dead letters, jobs, cancels; the outcome key prefix).
    fn requeuing<'a>(&self, script: &'a redis::Script) -> redis::ScriptInvocation<'a> {
        let mut invocation = script.prepare_invoke();
        invocation
            .key(self.queue.dead_key())
            .key(self.queue.jobs_key())
            .key(self.queue.cancels_key())
            .arg(self.queue.result_prefix());
        invocation
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

/// Whether `id` is a whole stream entry id, `MS-SEQ`: Redis reads `MS` alone as a range's
/// end (the first entry of that millisecond), which names no one letter.
fn is_entry_id(id: &str) -> bool {
    id.split_once('-').is_some_and(|(ms, seq)| {
        [ms, seq].iter().all(|part| {
            !part.is_empty() && part.len() <= 20 && part.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::is_entry_id;

    #[test]
    fn only_whole_entry_ids_name_a_letter() {
        assert!(is_entry_id("1700000000000-0"));
        for id in ["1700000000000", "-", "+", "1-", "-1", "a-1", "1-1-1", ""] {
            assert!(!is_entry_id(id), "{id}");
        }
    }
}
