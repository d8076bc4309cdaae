//! A runtime-agnostic async worker pool: a fixed team of workers pulls jobs from a bounded
//! queue, so a service can take millions of jobs without running millions of tasks at once.
//!
//! This crate holds the whole pool and knows no runtime. Use it through a backend crate,
//! which adds the [`Executor`] for its runtime and re-exports everything here:
//! `pool-tokio`, `pool-smol` or `pool-async-std`.
//!
//! - A job is any [`JobProcessor`] (a name and an async `process`), a closure
//!   ([`WorkerPool::submit_fn`], [`job_fn`]) or a future ([`WorkerPool::spawn`]). It gets a
//!   [`JobContext`] with its id, its worker and the pool's [`CancellationToken`].
//! - A [`WorkerPool`] is built once ([`WorkerPool::builder`]), started once and shut down
//!   once, gracefully, now, or with a deadline. Clone it to share it.
//! - No accepted job is lost: each ends in one outcome that reaches its [`JobHandle`] (or
//!   its [`JobSet`]), the [results stream](WorkerPoolBuilder::build_with_results) and
//!   [`PoolStats`]; jobs that never started are handed back by the shutdown.
//! - A panicking job is contained: its outcome is [`JobErrorKind::Panicked`] and its worker
//!   goes on.
//!
//! ```
//! use pool_tokio::WorkerPool;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = WorkerPool::<u64>::builder().workers(4).build()?;
//! pool.start()?;
//! let mut set = pool.job_set();
//! for n in 1..=10_u64 {
//!     set.submit_fn(move |_ctx| async move { Ok(n * n) }).await?;
//! }
//! let mut sum = 0;
//! while let Some((_id, square)) = set.join_next().await {
//!     sum += square?;
//! }
//! assert_eq!(sum, 385);
//! pool.shutdown().await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocking;
mod builder;
mod cancellation;
mod context;
mod counters;
mod envelope;
mod error;
mod executor;
mod handle;
mod intake;
mod job;
mod job_error;
mod job_fn;
mod job_set;
mod lock;
#[cfg(feature = "metrics")]
mod metrics_export;
mod named_once;
mod own_job;
mod panic_message;
mod per_worker;
mod pool;
mod reply;
mod report;
mod resize;
mod roster;
mod shared;
mod shutdown;
mod sink;
mod stats;
mod status;
mod submit;
mod thread_sleep;
mod timings;
mod wait_group;
mod worker;

#[cfg(feature = "testkit")]
#[doc(hidden)]
pub mod testkit;

pub use async_trait::async_trait;
pub use blocking::{BlockingJob, blocking_job_fn};
pub use builder::{MAX_QUEUE_CAPACITY, MAX_WORKERS, QUEUE_SLOTS_PER_WORKER, WorkerPoolBuilder};
pub use cancellation::{CancellationToken, DropGuard};
pub use context::JobContext;
pub use error::{BuildError, ResizeError, ShutdownError, StartError, SubmitError, TrySubmitError};
pub use executor::{Executor, NoRuntime};
pub use handle::JobHandle;
pub use job::{BoxError, JobId, JobProcessor, ProcessFuture};
pub use job_error::{Cancelled, JobError, JobErrorKind};
pub use job_fn::{FnJob, job_fn};
pub use job_set::JobSet;
pub use per_worker::{Lease, PerWorker};
pub use pool::WorkerPool;
pub use report::{ShutdownReport, UnstartedJob};
pub use stats::PoolStats;
pub use status::{JobStatus, Results};
pub use timings::{Percentiles, Timings};
pub use uuid::Uuid;
