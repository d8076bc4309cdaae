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

pub mod cases;
mod counting;
mod jobs;
pub mod schedules;
mod sync;

use std::time::Duration;

use futures_lite::future;

pub use counting::CountingExecutor;
pub use jobs::{Tagged, blocker, graceful, noop, rendezvous};
pub use sync::{Gate, Gauge, Latch};

use crate::{Executor, WorkerPool, WorkerPoolBuilder};

/// How long a case may run before it fails as hung. Far beyond what any case needs, even on
/// a loaded 2-core machine: it exists to turn a deadlock into a failure.
pub const CASE_DEADLINE: Duration = Duration::from_secs(120);

/// A runtime to run the suite on.
pub trait Harness {
    /// The backend's executor.
    type Executor: Executor + Clone;

    /// An executor for a new pool.
    fn executor() -> Self::Executor;

    /// Runs a case to completion on the runtime.
    fn block_on<F: Future>(future: F) -> F::Output;
}

/// Runs one case on `H`, failing it if it outlives [`CASE_DEADLINE`].
pub fn run<H: Harness>(case: impl Future<Output = ()>) {
    H::block_on(async {
        let executor = H::executor();
        let deadline = async {
            executor.sleep(CASE_DEADLINE).await;
            panic!("the case did not finish within {CASE_DEADLINE:?}: it hangs");
        };
        future::or(case, deadline).await;
    });
}

/// A builder on `H`'s executor.
pub fn builder<H: Harness, O: Send + 'static>() -> WorkerPoolBuilder<H::Executor, O> {
    WorkerPool::with_executor(H::executor())
}

/// Expands to one `#[test]` per conformance case, run on the given [`Harness`].
#[macro_export]
macro_rules! conformance_suite {
    ($harness:ty) => {
        $crate::__conformance_cases!(
            $harness;
            bounded_concurrency,
            all_workers_run_at_once,
            submit_waits_when_the_queue_is_full,
            try_submit_says_full,
            fifo_start_order_with_one_worker,
            max_jobs_closes_the_intake_and_drains,
            values_and_errors_reach_the_handles,
            panic_is_contained_and_the_worker_survives,
            job_timeout_stops_a_slow_job,
            dropped_handles_still_run,
            detached_jobs_run,
            results_stream_sees_every_job,
            context_describes_the_job,
            start_once,
            stop_once,
            submit_before_start_runs_after_start,
            submit_after_shutdown_hands_the_job_back,
            bad_configuration_is_a_typed_error,
            pools_have_distinct_identities,
            graceful_shutdown_runs_every_queued_job,
            graceful_shutdown_of_an_unstarted_pool_hands_jobs_back,
            shutdown_now_returns_exactly_the_unstarted_jobs,
            parent_token_cancellation_stops_the_pool,
            shutdown_timeout_aborts_a_job_that_ignores_cancellation,
            dropping_a_started_pool_still_runs_its_jobs,
            dropping_an_unstarted_pool_resolves_handles,
            stats_add_up,
            go_defect_queued_jobs_dropped_on_cancellation,
            go_defect_dispatch_after_cancellation,
            go_defect_stop_closes_channels_under_running_jobs,
            go_defect_served_counter_counted_twice,
            go_defect_panicking_job_crashes_process,
            go_defect_two_goroutines_per_job,
            go_defect_dispatcher_and_jobs_watch_different_contexts,
            a_job_whose_name_panics_is_contained,
            a_panic_with_a_non_string_payload_is_contained,
            a_job_that_drops_its_context_is_fine,
            submit_from_many_tasks_while_shutting_down,
            stress_many_producers_and_a_concurrent_shutdown_now,
        );

        #[test]
        fn random_schedules() {
            $crate::testkit::schedules::random_schedules::<$harness>();
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($harness:ty; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testkit::run::<$harness>($crate::testkit::cases::$case::<$harness>());
            }
        )*
    };
}
