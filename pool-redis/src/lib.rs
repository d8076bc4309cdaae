//! Scale out: many worker processes on many machines sharing one durable queue on Redis
//! Streams, each running its jobs on an ordinary local [`WorkerPool`](pool_core::WorkerPool)
//! of any backend.
//!
//! - **Producers** ([`Producer`]) enqueue typed jobs ([`RemoteJob`]: a serde payload, a
//!   stable kind name) under a key (a UUID) that every delivery of the job sees.
//! - **Consumers** ([`Consumer`], one per process) read through the queue's consumer group
//!   into a local pool, at most as many entries as they can run soon, and renew the lease of
//!   every entry they hold. A [`Registry`] maps kind names to job types.
//! - **At least once.** An entry is acknowledged (and deleted) only after its job ran to
//!   success. A consumer that dies leaves its entries pending; the living reclaim them once
//!   their lease lapses (the visibility timeout). Exactly once is impossible across a crash:
//!   make jobs idempotent with their key.
//! - **Retries and dead letters.** A failed run is retried after an exponential back-off, up
//!   to [`RetryPolicy::max_attempts`] runs; then the job goes to the dead letters
//!   ([`DeadLetters`]) with its last error. Each run is counted in Redis before it starts, so
//!   a run that crashes its process counts (as does one whose process is killed), and a
//!   delivery to a consumer that died before starting the job does not. Entries that cannot run (an unknown kind, an undecodable payload) go there at
//!   once, with the reason: a consumer never crash-loops on them, and an operator re-queues
//!   them once a consumer that knows them is deployed.
//!
//! # Examples
//!
//! A producer and a consumer (they would be in different processes, on different machines):
//!
//! ```
//! use std::time::Duration;
//!
//! use pool_redis::{Consumer, Producer, Queue, Registry, RemoteContext, RemoteJob, RemoteOutcome};
//! use pool_tokio::TokioExecutor;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Square(u64);
//!
//! impl RemoteJob for Square {
//!     const KIND: &'static str = "square";
//!     type Output = u64;
//!
//!     async fn run(self, _ctx: RemoteContext) -> Result<u64, pool_redis::BoxError> {
//!         Ok(self.0 * self.0)
//!     }
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
//! # let url = server.url();
//! // let url = "redis://127.0.0.1:6379";
//! let queue = Queue::new("squares");
//! let producer = Producer::connect(&url, queue.clone()).await?;
//! let key = producer.enqueue(&Square(12)).await?;
//!
//! let consumer = Consumer::builder(&url, queue, Registry::new().register::<Square>(), TokioExecutor::default())
//!     .workers(4)
//!     .keep_outcomes(Duration::from_secs(60))
//!     .connect()
//!     .await?;
//! let running = tokio::spawn({
//!     let consumer = consumer.clone();
//!     async move { consumer.run().await }
//! });
//! let outcome = producer.wait_outcome(key, Duration::from_secs(10)).await?;
//! assert_eq!(outcome, Some(RemoteOutcome::Completed(144.into())));
//! let stats = consumer.shutdown().await; // stops reading, drains, acknowledges
//! assert_eq!(stats.acknowledged, 1);
//! running.await??;
//! # Ok(())
//! # }
//! ```
//!
//! Redis settings: `appendonly yes` (a restart keeps the queue), `maxmemory-policy
//! noeviction` (an evicted entry is a lost job). A queue's keys share the hash tag `{name}`,
//! so it works on Redis Cluster. The commands used exist in Redis 7.0.
#![forbid(unsafe_code)]

mod consume;
#[doc(hidden)]
pub mod doc_support;
mod error;
mod inspect;
mod job;
mod produce;
mod redact;
mod report;
mod store;
mod trace;

pub use consume::builder::ConsumerBuilder;
pub use consume::config::{ConfigError, MIN_VISIBILITY_TIMEOUT};
pub use consume::consumer::Consumer;
pub use consume::limit::rate_limit::RateLimit;
pub use consume::queues::Queues;
pub use consume::stats::ConsumerStats;
pub use error::QueueError;
pub use inspect::dead_letter::{DeadLetter, escaped};
pub use inspect::dead_letters::DeadLetters;
pub use inspect::inspector::Inspector;
pub use inspect::presence::ConsumerPresence;
pub use inspect::queue_stats::{ConsumerInfo, QueueStats, queue_stats};
pub use inspect::whereabouts::{DelayReason, JobState, JobWhereabouts};
pub use job::middleware::{Finished, Middleware, Next};
pub use job::outcome::RemoteOutcome;
pub use job::progress::{PROGRESS_KEPT, Progress, ProgressWatch};
pub use job::registry::Registry;
pub use job::remote_job::{RemoteContext, RemoteJob};
pub use job::retry_policy::{Jitter, RetryPolicy};
pub use job::schedule::{Schedule, ScheduleError};
pub use job::shared_data::MissingData;
/// The error a job may fail with: any error, boxed (pool-core's, re-exported so that a
/// crate that depends on pool-redis and a backend needs nothing else).
pub use pool_core::BoxError;
/// For implementing [`Middleware`] (pool-core's, re-exported).
pub use pool_core::async_trait;
pub use produce::cancel::{CANCEL_REMEMBERED, CANCELLED_OUTCOME_KEPT, Cancel};
pub use produce::producer::Producer;
pub use produce::unique::{Enqueued, Uniqueness};
pub use redact::Redacted;
pub use store::queue::Queue;
