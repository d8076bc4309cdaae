//! Cancellation and stopping: no queued job lost or started late, running jobs finish,
//! counts exact, nothing spawned but the workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::testkit::{
    CountingExecutor, Gate, Harness, Latch, Tagged, blocker, builder, graceful, kind_of, noop,
    pool_under,
};
use crate::{BoxError, JobErrorKind, StartError, SubmitError, WorkerPool, job_fn};

/// Jobs still queued when the pool is cancelled are handed back, every one: each handle says
/// `NotStarted` and the shutdown report returns the job.
pub(crate) async fn cancellation_hands_back_every_queued_job<H: Harness>() {
    let (upstream, pool) = pool_under::<H, ()>(1);
    let queued: Vec<Tagged> = (0..20).map(Tagged::new).collect();
    let mut handles = Vec::new();
    for job in &queued {
        handles.push(pool.submit(job.clone()).await.unwrap());
    }
    pool.start().unwrap();
    upstream.cancel();
    let report = pool.shutdown().await.unwrap();
    let ran = queued
        .iter()
        .filter(|job| job.runs.load(Ordering::SeqCst) == 1)
        .count();
    let mut not_started = 0;
    for handle in handles {
        match handle.await {
            Ok(()) => {}
            Err(error) if error.kind() == JobErrorKind::NotStarted => not_started += 1,
            Err(other) => panic!("unexpected outcome {other}"),
        }
    }
    assert_eq!(ran + not_started, 20, "every queued job ran or came back");
    assert_eq!(report.unstarted.len(), not_started);
    assert_eq!(report.stats.not_started, not_started as u64);
}

/// A job still queued when cancellation comes never starts, even if a worker frees up just
/// after.
pub(crate) async fn a_job_queued_at_cancellation_never_starts<H: Harness>() {
    let (upstream, pool) = pool_under::<H, ()>(1);
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let busy = pool.submit(blocker(&started, &gate)).await.unwrap();
    started.wait().await;
    // The only worker is busy: this job waits in the queue for it.
    let waiting = Tagged::new(1);
    let waiting_handle = pool.submit(waiting.clone()).await.unwrap();
    upstream.cancel();
    gate.open(); // the worker is free again, after the cancellation
    busy.await.unwrap();
    assert!(kind_of(&waiting_handle.await) == Some(JobErrorKind::NotStarted));
    assert_eq!(
        waiting.runs.load(Ordering::SeqCst),
        0,
        "dispatched after cancellation"
    );
    pool.shutdown().await.unwrap();
}

/// A shutdown lets running jobs finish cleanly; a submit after it gets its job back, and a
/// second start is refused.
pub(crate) async fn shutdown_finishes_running_jobs_and_refuses_late_submits_and_restarts<
    H: Harness,
>() {
    let pool = builder::<H, u32>().workers(2).build().unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(2)), Gate::new());
    let mut running = Vec::new();
    for n in 0..2 {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        running.push(
            pool.submit(job_fn("running", move |_ctx| {
                let (started, gate) = (Arc::clone(&started), gate.clone());
                async move {
                    started.count_down();
                    gate.wait().await;
                    Ok::<_, BoxError>(n)
                }
            }))
            .await
            .unwrap(),
        );
    }
    started.wait().await;
    let stopping = async {
        let report = pool.shutdown().await.unwrap();
        assert_eq!(report.stats.completed, 2);
    };
    let meanwhile = async {
        while !pool.is_closed() {
            futures_lite::future::yield_now().await;
        }
        // Stop has begun and the jobs still run: a late submit is refused, not lost.
        let Err(SubmitError::Closed(job)) = pool
            .submit(job_fn("late", |_ctx| async { Ok::<_, BoxError>(7) }))
            .await
        else {
            panic!("a submit during stop must be refused");
        };
        drop(job);
        gate.open();
    };
    futures_lite::future::zip(stopping, meanwhile).await;
    let mut values = Vec::new();
    for handle in running {
        values.push(handle.await.expect("the return path survived the stop"));
    }
    values.sort_unstable();
    assert_eq!(values, [0, 1]);
    assert_eq!(
        pool.start(),
        Err(StartError::ShutDown),
        "restarted after stop"
    );
}

/// Each job is counted once in each counter it reaches.
pub(crate) async fn each_job_is_counted_once_in_each_counter<H: Harness>() {
    let pool = builder::<H, ()>().workers(3).build().unwrap();
    for _ in 0..10 {
        pool.submit_detached(noop()).await.unwrap();
    }
    let before = pool.stats();
    assert_eq!(
        (before.submitted, before.started, before.completed),
        (10, 0, 0)
    );
    pool.start().unwrap();
    let report = pool.shutdown().await.unwrap();
    let stats = report.stats;
    assert_eq!(
        (stats.submitted, stats.started, stats.completed),
        (10, 10, 10)
    );
}

/// The pool spawns its workers and nothing else, however many jobs it runs, and none outlives
/// the shutdown.
pub(crate) async fn the_pool_spawns_its_workers_and_nothing_else<H: Harness>() {
    const WORKERS: usize = 4;
    let executor = CountingExecutor::new(H::executor());
    let pool = WorkerPool::<_, ()>::with_executor(executor.clone())
        .workers(WORKERS)
        .job_timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    pool.start().unwrap();
    let mut handles = Vec::new();
    for _ in 0..500 {
        handles.push(pool.submit(noop()).await.unwrap());
    }
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(executor.spawned(), WORKERS, "tasks spawned for 500 jobs");
    pool.shutdown().await.unwrap();
    executor.all_finished().await;
    assert_eq!(executor.live(), 0);
}

/// The pool's cancellation reaches running jobs (and the tokens they hand on) and the intake
/// alike, from the pool or from upstream; a job's own token is a child, whose cancel stops
/// neither the job nor the pool.
pub(crate) async fn cancellation_reaches_jobs_and_intake_and_a_jobs_own_token_stops_neither<
    H: Harness,
>() {
    let pool = builder::<H, bool>().workers(1).build().unwrap();
    pool.start().unwrap();
    let pools_token = pool.cancellation_token().clone();
    let same = pool
        .submit(job_fn("cancels", move |ctx| async move {
            let child = ctx.token();
            pools_token.cancel();
            Ok::<_, BoxError>(ctx.is_cancelled() && child.is_cancelled())
        }))
        .await
        .unwrap();
    assert!(
        same.await.unwrap(),
        "the job and its token see the pool's cancellation"
    );
    assert!(pool.is_closed(), "the intake saw the pool's cancellation");
    pool.shutdown().await.unwrap();

    // A job's own token is a child: cancelling it stops neither the job nor the pool.
    let pool = builder::<H, bool>().workers(1).build().unwrap();
    pool.start().unwrap();
    let own = pool
        .submit(job_fn("cancels its own", |ctx| async move {
            ctx.token().cancel();
            Ok::<_, BoxError>(ctx.is_cancelled())
        }))
        .await
        .unwrap();
    assert!(!own.await.unwrap());
    assert!(!pool.cancellation_token().is_cancelled());
    assert!(!pool.is_closed());
    pool.shutdown().await.unwrap();

    let (upstream, pool) = pool_under::<H, ()>(1);
    pool.start().unwrap();
    let (started, saw) = (Arc::new(Latch::new(1)), Arc::new(AtomicUsize::new(0)));
    let watcher = pool.submit(graceful(&started, &saw)).await.unwrap();
    started.wait().await;
    upstream.cancel();
    watcher.await.unwrap();
    assert_eq!(saw.load(Ordering::SeqCst), 1);
    assert!(pool.is_closed());
    pool.shutdown().await.unwrap();
}
