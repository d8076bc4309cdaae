//! Regression tests for the defects of the Go library this project grew from (gowp), each
//! named after the defect. Each fails on a pool that has the defect.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::testkit::{
    CountingExecutor, Gate, Harness, Latch, Tagged, blocker, builder, graceful, kind_of, noop,
    panicking, pool_under, rendezvous,
};
use crate::{BoxError, JobErrorKind, StartError, SubmitError, WorkerPool, job_fn};

/// gowp dropped the jobs still queued when its context was cancelled. Here every one of them
/// is handed back: its handle says `NotStarted` and the shutdown report returns it.
pub async fn go_defect_queued_jobs_dropped_on_cancellation<H: Harness>() {
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

/// gowp's dispatcher, waiting for a free worker, dispatched a job after the context was
/// cancelled. Here a job still queued when cancellation comes never starts.
pub async fn go_defect_dispatch_after_cancellation<H: Harness>() {
    let (upstream, pool) = pool_under::<H, ()>(1);
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let busy = pool.submit(blocker(&started, &gate)).await.unwrap();
    started.wait().await;
    // The only worker is busy: this job waits for it, as gowp's dispatcher did.
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

/// gowp's stop closed its channels under running jobs: the worker's return path panicked, a
/// submit after stop panicked and lost the job, and the pool could be started again. Here
/// running jobs finish cleanly, a late submit gets its job back, and restart is refused.
pub async fn go_defect_stop_closes_channels_under_running_jobs<H: Harness>() {
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

/// gowp counted a served job twice, once at submit and once at dispatch. Here each job is
/// counted once in each counter.
pub async fn go_defect_served_counter_counted_twice<H: Harness>() {
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

/// In gowp a panicking job took the whole process down. Here it is contained, reported, and
/// every worker survives it.
pub async fn go_defect_panicking_job_crashes_process<H: Harness>() {
    const WORKERS: usize = 2;
    let pool = builder::<H, ()>().workers(WORKERS).build().unwrap();
    pool.start().unwrap();
    let mut panics = Vec::new();
    for _ in 0..20 {
        panics.push(pool.submit(panicking("bomb", "boom")).await.unwrap());
    }
    for handle in panics {
        assert!(kind_of(&handle.await) == Some(JobErrorKind::Panicked));
    }
    // Every worker is still there: as many jobs as workers can wait for each other.
    let everyone_in = Arc::new(Latch::new(WORKERS));
    let mut after = Vec::new();
    for _ in 0..WORKERS {
        after.push(pool.submit(rendezvous(&everyone_in)).await.unwrap());
    }
    for handle in after {
        handle.await.unwrap();
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.panicked, report.stats.completed), (20, 2));
}

/// gowp ran two goroutines per job (a dispatcher hop and the job). Here the pool spawns its
/// workers and nothing else, however many jobs it runs, and none outlives the shutdown.
pub async fn go_defect_two_goroutines_per_job<H: Harness>() {
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

/// gowp's dispatcher and its jobs watched two different contexts, so a cancellation seen by
/// one was missed by the other. Here there is one token: a job that cancels it stops the
/// pool's intake, and upstream cancellation reaches running jobs and the intake alike.
pub async fn go_defect_dispatcher_and_jobs_watch_different_contexts<H: Harness>() {
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
