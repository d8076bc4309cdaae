//! A runtime-agnostic async worker pool: a fixed team of workers pulls jobs from a bounded
//! queue, so a service can take millions of jobs without running millions of tasks at once.
//!
//! This crate holds the whole pool and knows no runtime. Use it through a backend crate,
//! which adds the [`Executor`] for its runtime and re-exports everything here:
//! `pool-tokio`, `pool-smol` or `pool-async-std`.
//!
//! - A job is any [`JobProcessor`]: a name and an async `process`, or a closure through
//!   [`job_fn`]. It gets a [`JobContext`] with its id, its worker and the pool's
//!   [`CancellationToken`].
//! - A [`WorkerPool`] is built once ([`WorkerPool::builder`]), started once and shut down
//!   once, gracefully, now, or with a deadline.
//! - No accepted job is lost: each ends in one outcome that reaches its [`JobHandle`], the
//!   [results stream](WorkerPoolBuilder::build_with_results) and [`PoolStats`]; jobs that never started are
//!   handed back by the shutdown.
//! - A panicking job is contained: its outcome is [`JobErrorKind::Panicked`] and its worker
//!   goes on.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
mod own_job;
mod panic_message;
mod per_worker;
mod pool;
mod reply;
mod report;
mod shared;
mod shutdown;
mod sink;
mod stats;
mod status;
mod submit;
mod thread_sleep;
mod wait_group;
mod worker;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use async_trait::async_trait;
pub use builder::{MAX_QUEUE_CAPACITY, MAX_WORKERS, QUEUE_SLOTS_PER_WORKER, WorkerPoolBuilder};
pub use cancellation::{CancellationToken, DropGuard};
pub use context::JobContext;
pub use error::{BuildError, ShutdownError, StartError, SubmitError, TrySubmitError};
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
pub use uuid::Uuid;
