//! The [async-std](https://docs.rs/async-std) backend of the worker pool.
//!
//! **async-std is discontinued upstream**: its authors recommend [smol](https://docs.rs/smol)
//! instead, and so do we: for new code, use `pool-smol`. This backend is kept working, and
//! passes the same conformance suite as the others, for code that already runs on async-std.
//!
//! Depend on this crate alone: it re-exports all of `pool-core`, with [`WorkerPool`] already
//! bound to [`AsyncStdExecutor`].
//!
//! ```
//! use pool_async_std::{job_fn, WorkerPool};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! async_std::task::block_on(async {
//!     let pool = WorkerPool::<u64>::builder().name("squares").workers(4).build()?;
//!     pool.start()?;
//!     let handle = pool.submit(job_fn("square", |_ctx| async { Ok(12 * 12) })).await?;
//!     assert_eq!(handle.await?, 144);
//!     let report = pool.shutdown().await?;
//!     assert_eq!(report.stats.completed, 1);
//!     Ok(())
//! })
//! # }
//! ```
#![forbid(unsafe_code)]

mod executor;

pub use executor::AsyncStdExecutor;
// pool-core's deliberate list for backends: a new item of pool-core is public here only
// once it is added there.
pub use pool_core::for_backends::*;

/// A worker pool on async-std.
pub type WorkerPool<O = ()> = pool_core::WorkerPool<AsyncStdExecutor, O>;

/// The builder of a [`WorkerPool`] on async-std.
pub type WorkerPoolBuilder<O = ()> = pool_core::WorkerPoolBuilder<AsyncStdExecutor, O>;
