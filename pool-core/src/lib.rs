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

mod job;
mod observe;
mod pool;
mod rt;
mod run;
mod stop;
mod submit;
mod sync;

#[cfg(feature = "testkit")]
#[doc(hidden)]
pub mod testkit;

pub use async_trait::async_trait;
pub use job::blocking::{BlockingJob, blocking_job_fn};
pub use job::closure::{FnJob, job_fn};
pub use job::context::JobContext;
pub use job::error::{Cancelled, JobError, JobErrorKind};
pub use job::id::JobId;
pub use job::processor::{BoxError, JobProcessor, ProcessFuture};
pub use observe::results::{JobStatus, Results};
pub use observe::stats::PoolStats;
pub use observe::timings::{Percentiles, Timings};
pub use pool::builder::{
    MAX_QUEUE_CAPACITY, MAX_WORKERS, QUEUE_SLOTS_PER_WORKER, WorkerPoolBuilder,
};
pub use pool::error::{BuildError, StartError};
pub use pool::worker_pool::WorkerPool;
pub use rt::cancellation::{
    CancellationToken, DropGuard, WaitForCancellation, WaitForCancellationOwned,
};
pub use rt::executor::{Executor, NoRuntime};
pub use run::error::ResizeError;
pub use run::per_worker::{Lease, PerWorker};
pub use stop::error::ShutdownError;
pub use stop::report::{ShutdownReport, UnstartedJob};
pub use submit::error::{SubmitError, TrySubmitError};
pub use submit::handle::JobHandle;
pub use submit::job_set::JobSet;
pub use uuid::Uuid;

/// What each backend crate re-exports, listed once: everything a user of the pool names, but
/// the two generic types, which each backend replaces by an alias over its executor
/// (`WorkerPool`, `WorkerPoolBuilder`). A new item is public through the backends only once it
/// is added here.
#[doc(hidden)]
pub mod for_backends {
    pub use crate::{
        BlockingJob, BoxError, BuildError, CancellationToken, Cancelled, DropGuard, Executor,
        FnJob, JobContext, JobError, JobErrorKind, JobHandle, JobId, JobProcessor, JobSet,
        JobStatus, Lease, MAX_QUEUE_CAPACITY, MAX_WORKERS, NoRuntime, PerWorker, Percentiles,
        PoolStats, ProcessFuture, QUEUE_SLOTS_PER_WORKER, ResizeError, Results, ShutdownError,
        ShutdownReport, StartError, SubmitError, Timings, TrySubmitError, UnstartedJob, Uuid,
        WaitForCancellation, WaitForCancellationOwned, async_trait, blocking_job_fn, job_fn,
    };
}
