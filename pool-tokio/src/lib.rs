//! The [tokio](https://tokio.rs) backend of the worker pool.
//!
//! Depend on this crate alone: it re-exports all of `pool-core`, with [`WorkerPool`] already
//! bound to [`TokioExecutor`].
//!
//! ```
//! use pool_tokio::{job_fn, WorkerPool};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = WorkerPool::<u64>::builder().name("squares").workers(4).build()?;
//! pool.start()?;
//! let handle = pool.submit(job_fn("square", |_ctx| async { Ok(12 * 12) })).await?;
//! assert_eq!(handle.await?, 144);
//! let report = pool.shutdown().await?;
//! assert_eq!(report.stats.completed, 1);
//! # Ok(())
//! # }
//! ```
//!
//! The runtime must have its timer enabled (`enable_time`, or `enable_all`, as
//! `#[tokio::main]` does): job timeouts and shutdown deadlines sleep on it.
#![forbid(unsafe_code)]

mod executor;
#[cfg(feature = "tokio-util")]
mod follow;

pub use executor::TokioExecutor;
#[cfg(feature = "tokio-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-util")))]
pub use follow::follow;
// pool-core's deliberate list for backends: a new item of pool-core is public here only
// once it is added there.
pub use pool_core::for_backends::*;

/// A worker pool on tokio.
pub type WorkerPool<O = ()> = pool_core::WorkerPool<TokioExecutor, O>;

/// The builder of a [`WorkerPool`] on tokio.
pub type WorkerPoolBuilder<O = ()> = pool_core::WorkerPoolBuilder<TokioExecutor, O>;
