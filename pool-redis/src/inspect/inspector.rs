//! An operator's view of a Redis server's queues, on one connection: which queues there are,
//! each one's numbers, where a job is, and its dead letters. What a dashboard or a command
//! line is built on.

use crate::store::connection::Connection;
use redis::Value;

use crate::error::unreachable;
use crate::inspect::queue_stats::snapshot;
use crate::inspect::whereabouts::{DelayReason, JobState, JobWhereabouts};
use crate::job::progress;
use crate::store::entry::{Entry, KEY};
use crate::store::group::{RELEASED_TO, is_no_group};
use crate::store::key_scan;
use crate::store::operator_scripts::LOCATE;
use crate::store::queue::GROUP;
use crate::store::server::Server;
use crate::{DeadLetters, Queue, QueueError, QueueStats, RemoteOutcome};

/// Stream entries read per round trip while looking for a job's key.
const SCAN_PAGE: usize = 500;

/// The suffix of every queue's job stream, after its `{name}` tag.
const JOBS_SUFFIX: &str = "}:jobs";

/// Looks at the queues of one Redis server, changing nothing (but through the
/// [`DeadLetters`] it hands out). Clones share its connection, which is opened again after
/// it breaks.
///
/// # Examples
///
/// ```
/// # use pool_redis::{Producer, Queue, RemoteContext, RemoteJob};
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Thumbnail { path: String }
/// # impl RemoteJob for Thumbnail {
/// #     const KIND: &'static str = "thumbnail";
/// #     type Output = ();
/// #     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> { Ok(()) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), pool_redis::QueueError> {
/// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
/// # let url = server.url();
/// use pool_redis::{Inspector, JobState};
///
/// let images = Queue::new("images");
/// let producer = Producer::connect(&url, images.clone()).await?;
/// let key = producer.enqueue(&Thumbnail { path: "cat.png".into() }).await?;
///
/// let inspector = Inspector::connect(&url).await?;
/// assert_eq!(inspector.queue_names().await?, ["images"]);
/// assert_eq!(inspector.stats(&images).await?.undelivered, 1);
/// let job = inspector.find_job(&images, key).await?;
/// assert!(matches!(job.state, JobState::Waiting { .. }));
/// assert_eq!(inspector.dead_letters(&images)?.count().await?, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Inspector {
    connection: Connection,
    url: String,
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("url", &crate::Redacted::url(&self.url))
            .finish_non_exhaustive()
    }
}

impl Inspector {
    /// Connects to the Redis server, or the Redis Cluster (`redis+cluster://`), at `url`.
    ///
    /// # Errors
    ///
    /// [`QueueError::BadUrl`], or [`QueueError::Unreachable`] if Redis does not answer.
    pub async fn connect(url: &str) -> Result<Self, QueueError> {
        let mut connection = Server::open(url)?.commands().map_err(unreachable(url))?;
        connection.ping().await.map_err(unreachable(url))?;
        Ok(Self {
            connection,
            url: url.to_owned(),
        })
    }

    /// The names of every queue on the server, or on every master of a cluster (every
    /// stream named as a queue's job stream), sorted. Found by `SCAN`, which walks the whole
    /// keyspace a page at a time without holding Redis.
    ///
    /// # Errors
    ///
    /// If Redis fails.
    pub async fn queue_names(&self) -> Result<Vec<String>, QueueError> {
        let keys = key_scan::keys(&self.connection, "{*}:jobs", "stream")
            .await
            .map_err(unreachable(&self.url))?;
        // A stream named like a queue's but whose name no queue may have is another's.
        let mut names: Vec<String> = keys
            .iter()
            .filter_map(|key| queue_name_of(key))
            .filter(|name| Queue::new(name).check().is_ok())
            .collect();
        names.sort();
        // SCAN may return a key twice.
        names.dedup();
        Ok(names)
    }

    /// What `queue` holds now, in one snapshot (as [`queue_stats`](crate::queue_stats)).
    ///
    /// # Errors
    ///
    /// [`QueueError::BadQueueName`], or what Redis answered.
    pub async fn stats(&self, queue: &Queue) -> Result<QueueStats, QueueError> {
        queue.check()?;
        snapshot(&mut self.connection.clone(), queue)
            .await
            .map_err(unreachable(&self.url))
    }

    /// The dead letters of `queue`, on this inspector's connection.
    ///
    /// # Errors
    ///
    /// [`QueueError::BadQueueName`].
    pub fn dead_letters(&self, queue: &Queue) -> Result<DeadLetters, QueueError> {
        queue.check()?;
        Ok(DeadLetters::on(self.connection.clone(), queue.clone()))
    }

    /// Where the job `key` of `queue` is now: delayed, waiting, held (by whom, since when),
    /// released, dead-lettered, or finished (if the consumers keep outcomes), with its latest
    /// progress report.
    ///
    /// The delayed set and the outcomes are indexed by key; the stream and the dead letters
    /// are not, so they are read a page at a time (a deep backlog takes a while). A job whose
    /// entry vanishes while it is looked at (settled, or moved) is looked for once more.
    ///
    /// # Errors
    ///
    /// [`QueueError::BadQueueName`], or what Redis answered.
    pub async fn find_job(
        &self,
        queue: &Queue,
        key: uuid::Uuid,
    ) -> Result<JobWhereabouts, QueueError> {
        queue.check()?;
        let state = match self.locate(queue, key).await? {
            Some(state) => state,
            None => self.locate(queue, key).await?.unwrap_or(JobState::Unknown),
        };
        Ok(JobWhereabouts {
            key,
            state,
            progress: progress::latest(&mut self.connection.clone(), queue, &key).await?,
        })
    }

    /// One look, in the order a job moves: delayed, the stream, the dead letters, its outcome;
    /// `None` if its entry vanished while it was looked at.
    async fn locate(&self, queue: &Queue, key: uuid::Uuid) -> Result<Option<JobState>, QueueError> {
        let mut invocation = LOCATE.prepare_invoke();
        invocation
            .key(queue.delayed_key())
            .key(queue.delayed_jobs_key())
            .key(queue.result_key(&key))
            .arg(key.to_string());
        let (due, reason, outcome): (i64, i64, Option<String>) = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        if let Ok(due) = u64::try_from(due) {
            return Ok(Some(JobState::Delayed {
                due: std::time::UNIX_EPOCH + std::time::Duration::from_millis(due),
                reason: DelayReason::from_marker(reason),
            }));
        }
        if let Some(entry) = self.find_entry(queue, &key).await? {
            return self.state_of_entry(queue, entry).await;
        }
        if let Some(letter) = self.dead_letters(queue)?.find(&key).await? {
            return Ok(Some(JobState::DeadLettered(Box::new(letter))));
        }
        Ok(Some(
            match outcome.map(|text| serde_json::from_str::<RemoteOutcome>(&text)) {
                Some(Ok(outcome)) => JobState::Finished(outcome),
                _ => JobState::Unknown,
            },
        ))
    }

    /// The id of the stream entry holding job `key`, if any.
    async fn find_entry(
        &self,
        queue: &Queue,
        key: &uuid::Uuid,
    ) -> Result<Option<String>, QueueError> {
        let key = key.to_string();
        let mut from = "-".to_owned();
        loop {
            let reply: Value = redis::cmd("XRANGE")
                .arg(queue.jobs_key())
                .arg(&from)
                .arg("+")
                .arg("COUNT")
                .arg(SCAN_PAGE)
                .query_async(&mut self.connection.clone())
                .await?;
            let Value::Array(entries) = reply else {
                return Ok(None);
            };
            let entries: Vec<Entry> = entries
                .iter()
                .filter_map(|entry| Entry::parse(entry, 0))
                .collect();
            let Some(last) = entries.last() else {
                return Ok(None);
            };
            from = format!("({}", last.id);
            let full = entries.len() == SCAN_PAGE;
            let found = entries.into_iter().find(|entry| {
                entry.fields.as_ref().is_some_and(|fields| {
                    fields
                        .iter()
                        .any(|(name, value)| name == KEY.as_bytes() && value == key.as_bytes())
                })
            });
            if let Some(entry) = found {
                return Ok(Some(entry.id));
            }
            if !full {
                return Ok(None);
            }
        }
    }

    /// Whether stream entry `entry` waits, is held, or was released; `None` if it is gone
    /// (settled since it was found).
    async fn state_of_entry(
        &self,
        queue: &Queue,
        entry: String,
    ) -> Result<Option<JobState>, QueueError> {
        let pending: Result<Vec<(String, String, u64, u64)>, _> = redis::cmd("XPENDING")
            .arg(queue.jobs_key())
            .arg(GROUP)
            .arg(&entry)
            .arg(&entry)
            .arg(1)
            .query_async(&mut self.connection.clone())
            .await;
        let pending = match pending {
            Ok(pending) => pending,
            Err(error) if is_no_group(&error) => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        Ok(Some(match pending.into_iter().next() {
            // Not pending: waiting, unless it was settled (and deleted) since it was found.
            None => {
                let still: Vec<Value> = redis::cmd("XRANGE")
                    .arg(queue.jobs_key())
                    .arg(&entry)
                    .arg(&entry)
                    .query_async(&mut self.connection.clone())
                    .await?;
                if still.is_empty() {
                    return Ok(None);
                }
                JobState::Waiting { entry }
            }
            Some((_, consumer, _, _)) if consumer == RELEASED_TO => JobState::Released { entry },
            Some((_, consumer, idle_ms, deliveries)) => JobState::Held {
                entry,
                consumer,
                idle_ms,
                deliveries,
            },
        }))
    }
}

/// The queue a job stream's key names: `{name}:jobs` is `name`.
fn queue_name_of(key: &[u8]) -> Option<String> {
    let key = std::str::from_utf8(key).ok()?;
    let name = key.strip_prefix('{')?.strip_suffix(JOBS_SUFFIX)?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::queue_name_of;

    #[test]
    fn a_queue_is_named_by_its_job_streams_tag() {
        assert_eq!(queue_name_of(b"{mail}:jobs").as_deref(), Some("mail"));
        assert_eq!(queue_name_of(b"{a}b}:jobs").as_deref(), Some("a}b"));
        assert_eq!(queue_name_of(b"{mail}:delayed:jobs"), None);
        assert_eq!(queue_name_of(b"{}:jobs"), None);
        assert_eq!(queue_name_of(b"\xff"), None);
    }
}
