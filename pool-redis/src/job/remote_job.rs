//! What a remote job is: a serde payload with a stable kind name, and what it does.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use pool_core::{BoxError, CancellationToken, JobContext};

use crate::job::progress::ProgressSink;
use crate::job::shared_data::{MissingData, SharedData};

/// A job that travels through Redis: its payload is JSON, its `KIND` names its type on the
/// wire (keep it stable across deploys: producers and consumers of different versions meet
/// on the queue), and `run` does it on a consumer's local pool.
///
/// Delivery is at least once: a job may run again after its consumer crashed, or after its
/// lease was lost. Use [`RemoteContext::job_key`] to make its effect idempotent.
///
/// # Examples
///
/// ```
/// use pool_redis::{RemoteContext, RemoteJob};
/// use pool_redis::BoxError;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct SendWelcome {
///     user: u64,
/// }
///
/// impl RemoteJob for SendWelcome {
///     const KIND: &'static str = "send-welcome";
///     type Output = String;
///
///     async fn run(self, ctx: RemoteContext) -> Result<String, BoxError> {
///         // The key is the same on every delivery of this job: an idempotency key.
///         Ok(format!("mail {} to user {}", ctx.job_key(), self.user))
///     }
/// }
/// ```
pub trait RemoteJob: Serialize + DeserializeOwned + Send + 'static {
    /// The job's type on the wire.
    const KIND: &'static str;
    /// What it produces, kept as JSON if the queue keeps outcomes.
    type Output: Serialize + Send + 'static;

    /// Does the job.
    fn run(self, ctx: RemoteContext)
    -> impl Future<Output = Result<Self::Output, BoxError>> + Send;
}

/// What a remote job knows of itself as it runs.
#[derive(Clone, Debug)]
pub struct RemoteContext {
    pub(crate) key: Uuid,
    /// The job's [`RemoteJob::KIND`].
    pub(crate) kind: &'static str,
    /// The queue it was read from.
    pub(crate) queue: Arc<str>,
    pub(crate) attempt: u32,
    pub(crate) local: JobContext,
    /// Fired when the job is cancelled by its key.
    pub(crate) cancel: CancellationToken,
    /// What the consumer was given for its jobs to share.
    pub(crate) data: Arc<SharedData>,
    /// Where its progress reports go.
    pub(crate) progress: Arc<ProgressSink>,
}

impl RemoteContext {
    /// The key the producer gave the job: the same on every delivery, for idempotency.
    pub fn job_key(&self) -> Uuid {
        self.key
    }

    /// The job's kind ([`RemoteJob::KIND`]): for middleware, which sees every kind.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The name of the queue the job was read from.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Which run this is: 1 the first time. Counted in Redis before the run starts, so a run
    /// that crashed its process counts too.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The local pool's context: its cancellation token says the consumer is stopping.
    pub fn local(&self) -> &JobContext {
        &self.local
    }

    /// The value of type `T` the consumer was given with
    /// [`ConsumerBuilder::data`](crate::ConsumerBuilder::data): application state every job
    /// shares (a database pool, an HTTP client), typed, without a global.
    ///
    /// # Errors
    ///
    /// [`MissingData`], naming `T`, if the consumer was given no value of that type: with `?`
    /// the run fails, and is retried, with that message (a consumer deployed without the
    /// state its jobs need).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Consumer, Producer, Queue, Registry, RemoteContext, RemoteJob, RemoteOutcome};
    /// use pool_tokio::TokioExecutor;
    /// use serde::{Deserialize, Serialize};
    ///
    /// /// What the jobs share: here a greeting; in a service, a database pool.
    /// struct Greeter {
    ///     greeting: String,
    /// }
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Greet(String);
    ///
    /// impl RemoteJob for Greet {
    ///     const KIND: &'static str = "greet";
    ///     type Output = String;
    ///
    ///     async fn run(self, ctx: RemoteContext) -> Result<String, pool_redis::BoxError> {
    ///         let greeter = ctx.data::<Greeter>()?;
    ///         Ok(format!("{}, {}", greeter.greeting, self.0))
    ///     }
    /// }
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
    /// # let url = server.url();
    /// let queue = Queue::new("greetings");
    /// let consumer = Consumer::builder(&url, queue.clone(), Registry::new().register::<Greet>(), TokioExecutor::default())
    ///     .data(Greeter { greeting: "Hello".into() })
    ///     .keep_outcomes(Duration::from_secs(60))
    ///     .connect()
    ///     .await?;
    /// let running = tokio::spawn({
    ///     let consumer = consumer.clone();
    ///     async move { consumer.run().await }
    /// });
    /// let producer = Producer::connect(&url, queue).await?;
    /// let key = producer.enqueue(&Greet("Ada".into())).await?;
    /// let outcome = producer.wait_outcome(key, Duration::from_secs(10)).await?;
    /// assert_eq!(outcome, Some(RemoteOutcome::Completed("Hello, Ada".into())));
    /// consumer.shutdown().await;
    /// running.await??;
    /// # Ok(())
    /// # }
    /// ```
    pub fn data<T: Send + Sync + 'static>(&self) -> Result<&T, MissingData> {
        self.data.get::<T>()
    }

    /// Reports the job's progress (a number, or small JSON: a percentage, a stage, counts),
    /// for a producer watching its key ([`Producer::watch_progress`](crate::Producer::watch_progress),
    /// which reads every report in order) or reading the latest
    /// ([`Producer::progress`](crate::Producer::progress)). The last 100 reports are kept,
    /// for as long as the consumer keeps outcomes after the last one
    /// ([`keep_outcomes`](crate::ConsumerBuilder::keep_outcomes)), or
    /// [`PROGRESS_KEPT`](crate::PROGRESS_KEPT) if it keeps none. One round trip.
    ///
    /// # Errors
    ///
    /// [`QueueError`](crate::QueueError) if `value` cannot be encoded or Redis cannot be
    /// reached: the job may go on without reporting.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Consumer, Producer, Queue, Registry, RemoteContext, RemoteJob};
    /// use pool_tokio::TokioExecutor;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Import { rows: u32 }
    ///
    /// impl RemoteJob for Import {
    ///     const KIND: &'static str = "import";
    ///     type Output = ();
    ///
    ///     async fn run(self, ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
    ///         for done in (0..=self.rows).step_by(50) {
    ///             ctx.progress(serde_json::json!({ "rows": done, "of": self.rows })).await?;
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
    /// # let url = server.url();
    /// let queue = Queue::new("imports");
    /// let producer = Producer::connect(&url, queue.clone()).await?;
    /// let key = producer.enqueue(&Import { rows: 200 }).await?;
    /// let mut watch = producer.watch_progress(key)?;
    /// let consumer = Consumer::builder(&url, queue, Registry::new().register::<Import>(), TokioExecutor::default())
    ///     .connect()
    ///     .await?;
    /// let running = tokio::spawn({
    ///     let consumer = consumer.clone();
    ///     async move { consumer.run().await }
    /// });
    /// let mut seen = Vec::new();
    /// while seen.last() != Some(&200) {
    ///     for report in watch.next(Duration::from_secs(10)).await? {
    ///         seen.push(report.value["rows"].as_u64().unwrap());
    ///     }
    /// }
    /// assert_eq!(seen, [0, 50, 100, 150, 200]);
    /// consumer.shutdown().await;
    /// running.await??;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn progress(&self, value: impl Serialize) -> Result<(), crate::QueueError> {
        let value = serde_json::to_string(&value)?;
        self.progress.report(self.key, &value).await
    }

    /// Whether the job should stop now: it was cancelled by its key
    /// ([`Producer::cancel`](crate::Producer::cancel)), or the consumer is stopping (then it
    /// is retried elsewhere, its attempt counted). Stopping is the job's choice: return
    /// [`Cancelled`](pool_core::Cancelled) to end as cancelled, or finish first.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled() || self.local.is_cancelled()
    }

    /// Completes when [`is_cancelled`](Self::is_cancelled) becomes true.
    pub async fn cancelled(&self) {
        futures_lite::future::or(self.cancel.cancelled(), self.local.cancelled()).await;
    }
}
