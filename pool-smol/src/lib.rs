//! The [smol](https://docs.rs/smol) backend of the worker pool, on smol's global executor or
//! on an executor of your own.
//!
//! Depend on this crate alone: it re-exports all of `pool-core`, with [`WorkerPool`] already
//! bound to [`SmolExecutor`].
//!
//! ```
//! use pool_smol::{job_fn, WorkerPool};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
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
//!
//! smol's global executor runs on `SMOL_THREADS` threads, 1 unless that variable says
//! otherwise; set it (or bring your own executor) to use more cores.
#![forbid(unsafe_code)]

mod executor;

pub use executor::SmolExecutor;
// Named by `SmolExecutor`'s `Executor` impl; users never need it.
#[doc(hidden)]
pub use executor::SmolTask;
// pool-core's deliberate list for backends: a new item of pool-core is public here only
// once it is added there.
pub use pool_core::for_backends::*;

/// A worker pool on smol.
pub type WorkerPool<O = ()> = pool_core::WorkerPool<SmolExecutor, O>;

/// The builder of a [`WorkerPool`] on smol.
pub type WorkerPoolBuilder<O = ()> = pool_core::WorkerPoolBuilder<SmolExecutor, O>;
