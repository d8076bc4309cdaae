//! Blocking jobs (`blocking_job_fn`, `JobContext::run_blocking`): synchronous code on the
//! runtime's threads for blocking work, with every promise an async job has.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gauge, Harness, Latch, ThreadGate, builder, eventually, kind_of};
use crate::{BoxError, Cancelled, JobErrorKind, blocking_job_fn, job_fn};

/// Opens its gate when dropped: a failed assertion must not leave a thread blocked (the
/// runtime's drop would wait for it, and the test would hang instead of failing).
struct OpenOnDrop(ThreadGate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// More blocking jobs than any test runtime has threads all block at once, and the runtime
/// still runs this test meanwhile: they run on its threads for blocking work, not its
/// workers. Their values reach their handles.
pub(crate) async fn blocking_jobs_run_off_the_runtime_threads<H: Harness>() {
    const JOBS: usize = 12;
    let pool = builder::<H, usize>().workers(JOBS).build().unwrap();
    pool.start().unwrap();
    let (inside, gate) = (Arc::new(Latch::new(JOBS)), ThreadGate::default());
    let _opener = OpenOnDrop(gate.clone());
    let mut handles = Vec::new();
    for n in 0..JOBS {
        let (inside, gate) = (Arc::clone(&inside), gate.clone());
        let job = blocking_job_fn("blocks", move |_ctx| {
            inside.count_down();
            gate.wait();
            Ok::<_, BoxError>(n * 10)
        });
        handles.push(pool.submit(job).await.unwrap());
    }
    // All of them block at once, and this task still runs.
    inside.wait().await;
    assert_eq!(pool.stats().busy, JOBS);
    gate.open();
    for (n, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap(), n * 10);
    }
    // Part of an async job, too.
    let sum = pool
        .submit(job_fn("part", |ctx| async move {
            Ok(ctx.run_blocking(|| (1..=4).sum::<usize>()).await)
        }))
        .await
        .unwrap();
    assert_eq!(sum.await.unwrap(), 10);
    let report = pool.shutdown().await.unwrap();
    assert_adds_up(&report.stats);
    assert_eq!(report.stats.completed, JOBS as u64 + 1);
}

/// A blocking job holds its worker while it runs: with 2 workers, 2 run and the rest wait in
/// the queue.
pub(crate) async fn a_blocking_job_counts_against_the_bound<H: Harness>() {
    const WORKERS: usize = 2;
    const JOBS: usize = 6;
    let pool = builder::<H, ()>().workers(WORKERS).build().unwrap();
    pool.start().unwrap();
    let gauge = Arc::new(Gauge::default());
    let (inside, gate) = (Arc::new(Latch::new(WORKERS)), ThreadGate::default());
    let _opener = OpenOnDrop(gate.clone());
    for _ in 0..JOBS {
        let (gauge, inside, gate) = (Arc::clone(&gauge), Arc::clone(&inside), gate.clone());
        let job = blocking_job_fn("bounded", move |_ctx| {
            let _inside = gauge.enter();
            inside.count_down();
            gate.wait();
            Ok::<_, BoxError>(())
        });
        pool.submit_detached(job).await.unwrap();
    }
    inside.wait().await;
    let stats = pool.stats();
    assert_eq!(stats.busy, WORKERS, "{stats:?}");
    assert_eq!(stats.queued, JOBS - WORKERS, "{stats:?}");
    gate.open();
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.completed, JOBS as u64);
    assert_eq!(gauge.max(), WORKERS);
}

/// A panic in a blocking job is its outcome, `Panicked`; a job timeout stops the wait at
/// once (`TimedOut`) and the worker moves on, while the closure runs on until it returns.
pub(crate) async fn a_blocking_job_panics_and_times_out_like_any_job<H: Harness>() {
    // No timeout here: a panic with RUST_BACKTRACE set takes its time.
    let pool = builder::<H, u32>().workers(1).build().unwrap();
    pool.start().unwrap();
    let panicked = pool
        .submit(blocking_job_fn("panics", |_ctx| -> Result<u32, BoxError> {
            panic!("in a blocking job")
        }))
        .await
        .unwrap();
    assert_eq!(kind_of(&panicked.await), Some(JobErrorKind::Panicked));
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.panicked, 1);

    let pool = builder::<H, u32>()
        .workers(1)
        // Long enough for the next job to start a blocking thread on a loaded machine.
        .job_timeout(Duration::from_millis(250))
        .build()
        .unwrap();
    pool.start().unwrap();
    let (gate, returned) = (ThreadGate::default(), Arc::new(AtomicBool::new(false)));
    let _opener = OpenOnDrop(gate.clone());
    let stuck = {
        let (gate, returned) = (gate.clone(), Arc::clone(&returned));
        blocking_job_fn("stuck", move |_ctx| {
            gate.wait();
            returned.store(true, Ordering::Release);
            Ok::<_, BoxError>(1)
        })
    };
    let stuck = pool.submit(stuck).await.unwrap();
    assert_eq!(kind_of(&stuck.await), Some(JobErrorKind::TimedOut));
    // The only worker is free again while the closure still blocks its thread.
    let next = pool
        .submit(blocking_job_fn("next", |_ctx| Ok::<_, BoxError>(2)))
        .await
        .unwrap();
    assert_eq!(next.await.unwrap(), 2);
    assert!(!returned.load(Ordering::Acquire));
    gate.open();
    eventually(|| returned.load(Ordering::Acquire)).await;
    let report = pool.shutdown().await.unwrap();
    assert_adds_up(&report.stats);
    assert_eq!((report.stats.timed_out, report.stats.completed), (1, 1));
}

/// Under `shutdown_now`, a running blocking job sees the cancellation through its context
/// and stops (`Cancelled`), and the queued ones are handed back; under a graceful shutdown
/// every queued blocking job runs.
pub(crate) async fn blocking_jobs_under_each_shutdown_mode<H: Harness>() {
    // Graceful: all run.
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    for _ in 0..5 {
        pool.submit_detached(blocking_job_fn("quick", |_ctx| Ok::<_, BoxError>(())))
            .await
            .unwrap();
    }
    pool.start().unwrap();
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.completed, 5);
    assert!(report.unstarted.is_empty());

    // Now: the running one stops on cancellation, the queued ones come back.
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    pool.start().unwrap();
    let started = Arc::new(Latch::new(1));
    let running = {
        let started = Arc::clone(&started);
        blocking_job_fn("watches", move |ctx| {
            started.count_down();
            while !ctx.is_cancelled() {
                std::thread::yield_now();
            }
            Err(Cancelled.into())
        })
    };
    let running = pool.submit(running).await.unwrap();
    for _ in 0..3 {
        pool.submit_detached(blocking_job_fn("queued", |_ctx| Ok::<_, BoxError>(())))
            .await
            .unwrap();
    }
    started.wait().await;
    let report = pool.shutdown_now().await.unwrap();
    assert_eq!(kind_of(&running.await), Some(JobErrorKind::Cancelled));
    assert_eq!(report.unstarted.len(), 3);
    assert_eq!(report.stats.cancelled, 1);
    assert_eq!(report.stats.not_started, 3);

    // With a deadline: a closure that ignores cancellation is given up on (`Aborted`) once
    // the grace period ends, and runs on until it returns.
    let pool = builder::<H, ()>()
        .workers(1)
        .shutdown_grace(Duration::from_millis(10))
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), ThreadGate::default());
    let _opener = OpenOnDrop(gate.clone());
    let ignores = {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        blocking_job_fn("ignores", move |_ctx| {
            started.count_down();
            gate.wait();
            Ok::<_, BoxError>(())
        })
    };
    let ignores = pool.submit(ignores).await.unwrap();
    started.wait().await;
    let report = pool
        .shutdown_timeout(Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(kind_of(&ignores.await), Some(JobErrorKind::Aborted));
    assert_eq!(report.stats.aborted, 1);
    assert_adds_up(&report.stats);
    gate.open();
}
