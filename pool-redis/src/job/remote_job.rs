//! What a remote job is: a serde payload with a stable kind name, and what it does.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use pool_core::{BoxError, CancellationToken, JobContext};

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
