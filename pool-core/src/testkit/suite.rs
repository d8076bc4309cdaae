//! The one list of conformance cases, and the macro that makes one `#[test]` per case for a
//! backend.
//!
//! A case is a `pub(crate)` function in `cases/`, reachable from outside only through the
//! wrappers this list generates (`testkit::listed`): a case left out of the list is dead code,
//! which `testkit` denies, and a misspelt name does not resolve. Either fails the build.

/// Expands to one `#[test]` per conformance case, run on the given [`Harness`](crate::testkit::Harness).
#[macro_export]
macro_rules! conformance_suite {
    ($harness:ty) => {
        $crate::__with_conformance_cases!($crate::__conformance_tests { $harness });

        #[test]
        fn random_schedules() {
            $crate::testkit::schedules::random_schedules::<$harness>();
        }
    };
}

/// Calls `$m! { $args ; case, case, ... }` with every conformance case: the one list.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_conformance_cases {
    ($m:path { $($args:tt)* }) => {
        $m! {
            $($args)*;
                bounded_concurrency,
                all_workers_run_at_once,
                submit_waits_when_the_queue_is_full,
                try_submit_says_full,
                fifo_start_order_with_one_worker,
                max_jobs_closes_the_intake_and_drains,
                a_busy_worker_yields_to_the_runtime,
                values_and_errors_reach_the_handles,
                panic_is_contained_and_the_worker_survives,
                job_timeout_stops_a_slow_job,
                dropped_handles_still_run,
                detached_jobs_run,
                results_stream_sees_every_job,
                context_describes_the_job,
                a_kept_context_describes_its_own_job,
                blocking_jobs_run_off_the_runtime_threads,
                a_blocking_job_counts_against_the_bound,
                a_blocking_job_panics_and_times_out_like_any_job,
                blocking_jobs_under_each_shutdown_mode,
                timings_measure_queue_wait_and_run_time,
                resize_under_load_keeps_the_bound,
                a_shrink_retires_busy_workers_after_their_job,
                a_shrink_retires_idle_workers_at_once,
                resize_errors_are_typed_and_change_nothing,
                resize_under_each_shutdown_mode,
                concurrent_resizes_lose_nothing,
                max_workers_below_workers_is_a_typed_error,
                a_shrink_never_strands_a_job_submitting_into_its_own_pool,
                growth_fills_a_seat_freed_while_a_shrink_takes_effect,
                an_elastic_pool_grows_when_jobs_wait_and_retires_idle_workers,
                an_elastic_pool_keeps_busy_workers_and_its_minimum,
                elastic_configuration_is_checked,
                a_job_is_dropped_before_its_handle_resolves,
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
                cancellation_hands_back_every_queued_job,
                a_job_queued_at_cancellation_never_starts,
                shutdown_finishes_running_jobs_and_refuses_late_submits_and_restarts,
                each_job_is_counted_once_in_each_counter,
                the_pool_spawns_its_workers_and_nothing_else,
                cancellation_reaches_jobs_and_intake_and_a_jobs_own_token_stops_neither,
                a_job_whose_name_panics_is_contained,
                a_panic_with_a_non_string_payload_is_contained,
                a_job_that_drops_its_context_is_fine,
                a_job_that_panics_when_dropped_is_contained,
                submit_from_many_tasks_while_shutting_down,
                stress_many_producers_and_a_concurrent_shutdown_now,
                a_dropped_reader_never_stalls_the_pool,
                an_unread_stream_never_hangs_a_shutdown,
                outputs_move_into_the_stream_when_no_handle_waits,
                dropping_the_last_reader_releases_waiting_workers,
                stats_hold_their_rules_at_every_read,
                submitted_counts_only_accepted_jobs,
                an_aborted_job_is_dropped_before_its_handle_resolves,
                a_submit_waiting_on_the_job_limit_parks,
                a_job_alone_in_its_full_pool_is_told_it_would_deadlock,
                a_job_waits_for_room_while_another_worker_can_make_it,
                a_job_parked_on_the_job_limit_is_told_it_would_deadlock,
                a_shutdown_deadline_fires_while_jobs_block_their_threads,
                jobs_own_their_data,
                abort_stops_a_queued_job_and_asks_a_running_one,
                a_job_set_joins_outcomes_with_their_ids,
                a_job_set_aborts_by_id,
                a_job_set_hands_back_refusals_and_detaches_on_drop,
                clones_share_one_pool,
                cancellation_helpers_stop_jobs_and_scopes,
                the_results_stream_is_fused,
                a_job_runs_in_a_span_under_its_submitter,
                a_per_worker_resource_is_lent_to_one_job_at_a_time,
                a_job_submitted_before_start_is_warned_of,
                a_job_set_joins_only_accepted_jobs,
                an_aborted_queued_job_is_not_handed_back,
                a_per_worker_resource_that_fails_to_open_is_made_again,
        }
    };
}

/// One `#[test]` per case, for a backend's conformance suite.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($harness:ty; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::testkit::listed::$case::<$harness>();
            }
        )*
    };
}

/// The public wrapper of each case, run on a harness: the only way to the cases from outside.
#[doc(hidden)]
#[macro_export]
macro_rules! __listed_cases {
    (; $($case:ident),* $(,)?) => {
        /// Each conformance case, run to completion on `H` (see [`run`](crate::testkit::run)).
        pub mod listed {
            use $crate::testkit::{Harness, cases, run};
            $(
                pub fn $case<H: Harness>() {
                    run::<H>(cases::$case::<H>());
                }
            )*
        }
    };
}
