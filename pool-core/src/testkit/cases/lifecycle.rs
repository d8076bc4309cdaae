//! Building, starting and stopping: each exactly once.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::testkit::{Harness, Tagged, builder, noop};
use crate::{
    BuildError, MAX_QUEUE_CAPACITY, MAX_WORKERS, ShutdownError, StartError, SubmitError,
    TrySubmitError,
};

/// A second `start` is an error, and so is a `start` after a shutdown.
pub(crate) async fn start_once<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    assert_eq!(pool.start(), Err(StartError::AlreadyStarted));
    pool.shutdown().await.unwrap();
    assert_eq!(
        pool.start(),
        Err(StartError::ShutDown),
        "a pool cannot be restarted"
    );
}

/// A second shutdown, of any kind, does nothing and says so.
pub(crate) async fn stop_once<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    pool.submit(noop()).await.unwrap().await.unwrap();
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.completed, 1);
    assert_eq!(
        pool.shutdown().await.unwrap_err(),
        ShutdownError::AlreadyShutDown
    );
    assert_eq!(
        pool.shutdown_now().await.unwrap_err(),
        ShutdownError::AlreadyShutDown
    );
    let again = pool.shutdown_timeout(std::time::Duration::ZERO).await;
    assert_eq!(again.unwrap_err(), ShutdownError::AlreadyShutDown);
}

/// Jobs submitted before `start` wait in the queue and run once it is called.
pub(crate) async fn submit_before_start_runs_after_start<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    let jobs: Vec<Tagged> = (0..10).map(Tagged::new).collect();
    let mut handles = Vec::new();
    for job in &jobs {
        handles.push(pool.submit(job.clone()).await.unwrap());
    }
    let stats = pool.stats();
    assert_eq!((stats.queued, stats.started, stats.idle), (10, 0, 0));
    pool.start().unwrap();
    for handle in handles {
        handle.await.unwrap();
    }
    assert!(jobs.iter().all(|job| job.runs.load(Ordering::SeqCst) == 1));
    pool.shutdown().await.unwrap();
}

/// A closed pool hands the very job back, by every way in, and counts none of them.
pub(crate) async fn submit_after_shutdown_hands_the_job_back<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    pool.shutdown().await.unwrap();
    assert!(pool.is_closed());

    let Err(SubmitError::Closed(job)) = pool.submit(Tagged::new(1)).await else {
        panic!("submit after shutdown must fail");
    };
    assert_eq!(job.tag, 1);
    let Err(SubmitError::Closed(job)) = pool.submit_detached(Tagged::new(2)).await else {
        panic!("submit_detached after shutdown must fail");
    };
    assert_eq!(job.tag, 2);
    match pool.try_submit(Tagged::new(3)) {
        Err(TrySubmitError::Closed(job)) => assert_eq!(job.tag, 3),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert_eq!(job.runs.load(Ordering::SeqCst), 0);
    assert_eq!(pool.stats().submitted, 0);
}

/// Zero or absurd sizes are typed errors, never panics.
pub(crate) async fn bad_configuration_is_a_typed_error<H: Harness>() {
    fn error<T>(result: Result<T, BuildError>) -> BuildError {
        result.map(drop).unwrap_err()
    }
    assert_eq!(
        error(builder::<H, ()>().workers(0).build()),
        BuildError::ZeroWorkers
    );
    assert_eq!(
        error(builder::<H, ()>().workers(MAX_WORKERS + 1).build()),
        BuildError::TooManyWorkers(MAX_WORKERS + 1)
    );
    assert_eq!(
        error(builder::<H, ()>().queue_capacity(0).build()),
        BuildError::ZeroQueueCapacity
    );
    assert_eq!(
        error(builder::<H, ()>().queue_capacity(usize::MAX).build()),
        BuildError::QueueTooLarge(usize::MAX)
    );
    assert_eq!(
        error(builder::<H, ()>().build_with_results(0)),
        BuildError::ZeroResultsCapacity
    );
    assert_eq!(
        error(builder::<H, ()>().build_with_results(MAX_QUEUE_CAPACITY + 1)),
        BuildError::ResultsTooLarge(MAX_QUEUE_CAPACITY + 1)
    );
    assert_eq!(
        error(builder::<H, ()>().max_jobs(0).build()),
        BuildError::ZeroMaxJobs
    );
    assert_eq!(
        error(builder::<H, ()>().job_timeout(Duration::ZERO).build()),
        BuildError::ZeroJobTimeout
    );
    let message = BuildError::ZeroWorkers.to_string();
    assert!(message.contains("at least one worker"), "{message}");
}

/// Pools get distinct process-wide ids and UUIDs, and a default name from their id.
pub(crate) async fn pools_have_distinct_identities<H: Harness>() {
    let first = builder::<H, ()>().build().unwrap();
    let second = builder::<H, ()>().name("second").build().unwrap();
    assert!(second.id() > first.id());
    assert_ne!(first.uuid(), second.uuid());
    assert_eq!(first.name(), format!("pool-{}", first.id()));
    assert_eq!(second.name(), "second");
}
