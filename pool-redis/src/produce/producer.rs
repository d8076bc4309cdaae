//! Enqueueing jobs, from any process, and waiting for a job's outcome.

use std::time::Duration;

use crate::store::connection::Connection;
use crate::store::server::Server;
use uuid::Uuid;

use crate::error::unreachable;
use crate::job::progress::{self, Progress, ProgressWatch};
use crate::store::entry::{KEY, KIND, PAYLOAD, TRACEPARENT};
use crate::store::group::ensure_group;
use crate::{Queue, QueueError, RemoteJob, RemoteOutcome};

/// Puts jobs on a queue. Cheap to clone (clones share one multiplexed connection).
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
/// // let url = "redis://127.0.0.1:6379";
/// let producer = Producer::connect(&url, Queue::new("images")).await?;
/// let key = producer.enqueue(&Thumbnail { path: "cat.png".into() }).await?;
/// println!("queued as {key}");
/// let keys = producer.enqueue_many(&[
///     Thumbnail { path: "dog.png".into() },
///     Thumbnail { path: "owl.png".into() },
/// ]).await?; // one round trip
/// assert_eq!(keys.len(), 2);
/// # Ok(())
/// # }
/// ```
///
/// Its connection is opened again after it breaks: a call that meets a broken connection
/// fails, and the next one goes out on a new connection.
#[derive(Clone)]
pub struct Producer {
    pub(crate) queue: Queue,
    server: Server,
    pub(crate) connection: Connection,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl Producer {
    /// Connects to Redis at `url` and makes sure the queue exists.
    ///
    /// # Errors
    ///
    /// [`QueueError::BadQueueName`], [`QueueError::BadUrl`], or
    /// [`QueueError::Unreachable`] if Redis does not answer.
    pub async fn connect(url: &str, queue: Queue) -> Result<Self, QueueError> {
        queue.check()?;
        let server = Server::open(url)?;
        let mut connection = server.commands().map_err(unreachable(url))?;
        ensure_group(&mut connection, &queue)
            .await
            .map_err(unreachable(url))?;
        Ok(Self {
            queue,
            server,
            connection,
        })
    }

    /// The queue it puts jobs on.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Enqueues `job` under a new key, and returns the key.
    ///
    /// # Errors
    ///
    /// If the job cannot be encoded ([`QueueError::Encode`]), Redis is out of memory
    /// ([`QueueError::OutOfMemory`]: nothing was queued), or Redis refuses or cannot be
    /// reached.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave the job queued or not, and its key unknown to the
    /// caller: once sent, the command is Redis's. Jobs run at least once in any case, so
    /// make their effect idempotent rather than rely on a future finishing.
    pub async fn enqueue<J: RemoteJob>(&self, job: &J) -> Result<Uuid, QueueError> {
        let keys = self.enqueue_many(std::slice::from_ref(job)).await?;
        Ok(keys[0])
    }

    /// Enqueues `jobs` in one round trip (pipelined), and returns their keys in order.
    ///
    /// # Errors
    ///
    /// As [`enqueue`](Self::enqueue). If Redis takes some of the jobs and refuses others
    /// (it ran out of memory midway), [`QueueError::PartlyQueued`] says which were queued.
    /// If the connection breaks midway, some of the jobs may be queued unknown.
    ///
    /// # Cancel safety
    ///
    /// As [`enqueue`](Self::enqueue): dropped, any of the jobs may be queued or not.
    pub async fn enqueue_many<J: RemoteJob>(&self, jobs: &[J]) -> Result<Vec<Uuid>, QueueError> {
        let mut pipe = redis::pipe();
        let mut keys = Vec::with_capacity(jobs.len());
        let stream = self.queue.jobs_key();
        let traceparent = crate::trace::current_traceparent();
        for job in jobs {
            let key = Uuid::new_v4();
            let payload = serde_json::to_string(job)?;
            pipe.cmd("XADD")
                .arg(&stream)
                .arg("*")
                .arg(KIND)
                .arg(J::KIND)
                .arg(KEY)
                .arg(key.to_string())
                .arg(PAYLOAD)
                .arg(payload);
            if let Some(traceparent) = &traceparent {
                pipe.arg(TRACEPARENT).arg(traceparent);
            }
            keys.push(key);
        }
        // Each entry's own reply: Redis may refuse some (out of memory) after taking others.
        let replies: Vec<redis::Value> = pipe
            .ignore_errors()
            .query_async(&mut self.connection.clone())
            .await?;
        let mut refused = None;
        let queued: Vec<Option<Uuid>> = replies
            .into_iter()
            .zip(&keys)
            .map(|(reply, key)| match reply {
                redis::Value::ServerError(error) => {
                    refused.get_or_insert(redis::RedisError::from(error));
                    None
                }
                _ => Some(*key),
            })
            .collect();
        match refused {
            None => Ok(keys),
            Some(error) if queued.iter().all(Option::is_none) => Err(error.into()),
            Some(error) => Err(QueueError::PartlyQueued {
                queued,
                source: Box::new(error.into()),
            }),
        }
    }

    /// Watches job `key`'s progress reports ([`RemoteContext::progress`](crate::RemoteContext::progress)):
    /// each [`next`](ProgressWatch::next) returns the reports since the last, in order,
    /// from the first one kept. On a connection of its own, opened by the first read.
    ///
    /// # Errors
    ///
    /// [`QueueError`] if the connection cannot be set up.
    pub fn watch_progress(&self, key: Uuid) -> Result<ProgressWatch, QueueError> {
        Ok(progress::watch(
            &self.server,
            self.queue.progress_key(&key),
        )?)
    }

    /// Job `key`'s latest progress report, if it made one (and it is still kept).
    ///
    /// # Errors
    ///
    /// [`QueueError`] if Redis cannot be reached, or the report is not JSON.
    pub async fn progress(&self, key: Uuid) -> Result<Option<Progress>, QueueError> {
        progress::latest(&mut self.connection.clone(), &self.queue, &key).await
    }

    /// Waits up to `timeout` for the outcome of the job `key`, if the consumers keep outcomes
    /// ([`ConsumerBuilder::keep_outcomes`](crate::ConsumerBuilder::keep_outcomes)). `None`
    /// if none came in time.
    ///
    /// # Errors
    ///
    /// If Redis fails, or the outcome kept is not one this crate wrote.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future changes nothing: the wait reads the outcome without taking it,
    /// so it stays for a later wait, until it expires. The wait's connection closes with
    /// the future.
    pub async fn wait_outcome(
        &self,
        key: Uuid,
        timeout: Duration,
    ) -> Result<Option<RemoteOutcome>, QueueError> {
        // A connection of its own: the wait blocks on the server, for longer than any
        // response timeout, and must not hold up other commands.
        let mut connection = self.server.blocking()?;
        let list = self.queue.result_key(&key);
        // Moves the outcome from the list's end to its start: it stays for other waiters.
        let outcome: Option<String> = redis::cmd("BLMOVE")
            .arg(&list)
            .arg(&list)
            .arg("RIGHT")
            .arg("LEFT")
            // Redis reads 0 as "forever": the shortest wait it knows instead.
            .arg(timeout.as_secs_f64().max(0.001))
            .query_async(&mut connection)
            .await?;
        outcome
            .map(|text| serde_json::from_str(&text).map_err(QueueError::from))
            .transpose()
    }
}
