//! The sample app of the worker pool, as a library so that its pieces are documented and
//! tested: a publisher submits [`TestJobData`](job::TestJobData) jobs into a pool until it is
//! told to stop, then the pool drains and the app prints a [`Summary`](summary::Summary).
//!
//! The app code ([`app::run`]) is written once, generic over the pool's
//! [`Executor`](pool_core::Executor); [`runtimes`] picks tokio, async-std or smol.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod distributed;
pub mod job;
pub mod log_writer;
pub mod progress;
pub mod runtimes;
pub mod stop;
pub mod summary;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
