//! The conformance suite: every behaviour test, written once, run by every backend.
//!
//! A backend implements [`Harness`] for its runtime and expands
//! [`conformance_suite!`](crate::conformance_suite) in a test file, which makes one `#[test]`
//! per case. The cases use nothing but [`Executor`] and runtime-free synchronisation, so a
//! case that passes on one runtime and fails on another is a backend bug.
//!
//! ```ignore
//! struct Tokio;
//!
//! impl pool_core::testkit::Harness for Tokio {
//!     type Executor = pool_tokio::TokioExecutor;
//!     fn executor() -> Self::Executor {
//!         pool_tokio::TokioExecutor::default()
//!     }
//!     fn block_on<F: Future>(future: F) -> F::Output {
//!         tokio::runtime::Runtime::new().unwrap().block_on(future)
//!     }
//! }
//!
//! pool_core::conformance_suite!(Tokio);
//! ```
//!
//! Every case waits for events, never for time, and runs under a generous deadline
//! ([`CASE_DEADLINE`]) that fails it instead of hanging the test run.
#![allow(missing_docs, clippy::missing_panics_doc)]

#[deny(dead_code)]
mod cases;
mod counting;
mod harness;
mod jobs;
pub mod schedules;
mod spans;
mod suite;
mod sync;

pub use counting::CountingExecutor;
pub use harness::{CASE_DEADLINE, Harness, builder, pool_under, run, sleep};
pub use jobs::{Tagged, blocker, graceful, noop, panicking, rendezvous};
pub use spans::{SeenSpan, SpanRecorder};
pub use sync::{Gate, Gauge, Latch, ThreadGate, eventually};

/// An outcome's kind, `None` for a value: to compare outcomes that are not `PartialEq`.
pub fn kind_of<O>(outcome: &Result<O, crate::JobError>) -> Option<crate::JobErrorKind> {
    outcome.as_ref().err().map(crate::JobError::kind)
}

crate::__with_conformance_cases!(crate::__listed_cases {});
