//! Code around every job a consumer runs: before it, after it, on its failure; composable,
//! for logging, metrics, an authentication context or error mapping.
//!
//! A small trait of our own rather than `tower`'s `Service`: a job is run once, by value,
//! with no readiness to poll and no response type to name per kind, so a `Layer` and a
//! `Service` (with `poll_ready`, `Clone` and a `Future` type each) would be mostly
//! ceremony here; `around(ctx, next)` is the shape of the middleware teams write for
//! Sidekiq, asynq and River, and costs one boxed future per layer per job.

use std::sync::Arc;

use pool_core::{BoxError, async_trait};

use crate::RemoteContext;
use crate::job::registry::{Completed, RemoteRun};

/// Code that runs around every job of a consumer, given with
/// [`ConsumerBuilder::middleware`](crate::ConsumerBuilder::middleware). It sees the job's
/// context before the run, calls [`Next::run`] to run the rest (the later middleware, then
/// the job), and sees how it ended: it may return that, or another error in its place.
/// The first given is the outermost.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// use pool_redis::{Consumer, Finished, Middleware, Next, Producer, Queue, Registry};
/// use pool_redis::{RemoteContext, RemoteJob, async_trait};
/// use pool_tokio::TokioExecutor;
/// use serde::{Deserialize, Serialize};
///
/// /// Counts failures, and says which kind failed in the error.
/// #[derive(Clone, Default)]
/// struct CountFailures(Arc<AtomicU64>);
///
/// #[async_trait]
/// impl Middleware for CountFailures {
///     async fn around(&self, ctx: &RemoteContext, next: Next<'_>) -> Result<Finished, pool_redis::BoxError> {
///         next.run().await.map_err(|error| {
///             self.0.fetch_add(1, Ordering::Relaxed);
///             format!("{} failed: {error}", ctx.kind()).into()
///         })
///     }
/// }
///
/// #[derive(Serialize, Deserialize)]
/// struct Flaky;
///
/// impl RemoteJob for Flaky {
///     const KIND: &'static str = "flaky";
///     type Output = ();
///
///     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
///         Err("the network".into())
///     }
/// }
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
/// # let url = server.url();
/// let queue = Queue::new("flaky");
/// Producer::connect(&url, queue.clone()).await?.enqueue(&Flaky).await?;
/// let failures = CountFailures::default();
/// let consumer = Consumer::builder(&url, queue.clone(), Registry::new().register::<Flaky>(), TokioExecutor::default())
///     .middleware(failures.clone())
///     .retry(pool_redis::RetryPolicy::new(1))
///     .connect()
///     .await?;
/// let running = tokio::spawn({
///     let consumer = consumer.clone();
///     async move { consumer.run().await }
/// });
/// while consumer.stats().dead_lettered == 0 {
///     tokio::time::sleep(Duration::from_millis(10)).await;
/// }
/// consumer.shutdown().await;
/// running.await??;
/// assert_eq!(failures.0.load(Ordering::Relaxed), 1);
/// let dead = pool_redis::DeadLetters::connect(&url, queue).await?.list(1).await?;
/// assert!(dead[0].error.contains("flaky failed: the network"), "{}", dead[0].error);
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait Middleware: Send + Sync + 'static {
    /// Runs around one job: call `next.run()` once to run it (not calling it skips the
    /// job, which then ends as the error returned, or as a success with no output).
    async fn around(&self, ctx: &RemoteContext, next: Next<'_>) -> Result<Finished, BoxError>;
}

/// The rest of the chain around a job: the later middleware, then the job.
#[must_use = "the job runs only when `run` is awaited"]
pub struct Next<'a> {
    rest: &'a [Arc<dyn Middleware>],
    ctx: &'a RemoteContext,
    run: RemoteRun,
}

impl std::fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field("middleware_left", &self.rest.len())
            .field("kind", &self.run.kind())
            .finish()
    }
}

impl<'a> Next<'a> {
    /// The chain `middleware` around `run`, in `ctx`.
    pub(crate) fn new(
        middleware: &'a [Arc<dyn Middleware>],
        ctx: &'a RemoteContext,
        run: RemoteRun,
    ) -> Self {
        Self {
            rest: middleware,
            ctx,
            run,
        }
    }

    /// Runs the rest of the chain, and the job.
    pub async fn run(self) -> Result<Finished, BoxError> {
        match self.rest.split_first() {
            Some((first, rest)) => {
                let next = Next {
                    rest,
                    ctx: self.ctx,
                    run: self.run,
                };
                first.around(self.ctx, next).await
            }
            None => self.run.call(self.ctx.clone()).await.map(Finished),
        }
    }
}

/// A job that ran to success, as middleware sees it: its output, encoded.
#[derive(Clone, Debug)]
pub struct Finished(pub(crate) Completed);

impl Finished {
    /// A success with no output kept: for middleware that ends a job without running it,
    /// or turns an error it knows to be harmless into a success.
    pub fn without_output() -> Self {
        Self(Completed { kept: None })
    }

    /// The job's output as JSON, if the consumer keeps outcomes
    /// ([`keep_outcomes`](crate::ConsumerBuilder::keep_outcomes)).
    pub fn output_json(&self) -> Option<&str> {
        self.0.kept.as_deref()
    }
}
