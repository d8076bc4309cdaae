//! Concurrency, back-pressure, ordering and the job limit.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_lite::future;

use crate::testkit::{
    CountingExecutor, Gate, Gauge, Harness, Latch, Tagged, blocker, builder, noop, rendezvous,
};
use crate::{BoxError, Executor, SubmitError, TrySubmitError, WorkerPool, job_fn};

/// Never more than `workers` jobs run at once, measured with a gauge.
pub(crate) async fn bounded_concurrency<H: Harness>() {
    const WORKERS: usize = 4;
    let pool = builder::<H, ()>().workers(WORKERS).build().unwrap();
    pool.start().unwrap();
    let gauge = Arc::new(Gauge::default());
    let mut handles = Vec::new();
    for _ in 0..200 {
        let gauge = Arc::clone(&gauge);
        let job = job_fn("gauged", move |_ctx| {
            let gauge = Arc::clone(&gauge);
            async move {
                let _inside = gauge.enter();
                future::yield_now().await;
                future::yield_now().await;
                Ok::<_, BoxError>(())
            }
        });
        handles.push(pool.submit(job).await.unwrap());
    }
    for handle in handles {
        handle.await.unwrap();
    }
    assert!(
        gauge.max() <= WORKERS,
        "{} jobs ran at once on {WORKERS} workers",
        gauge.max()
    );
    assert!(gauge.max() >= 1);
    pool.shutdown().await.unwrap();
}

/// All `workers` do run at once: each of these jobs waits until all of them have started,
/// which would hang (and fail at the deadline) with fewer workers running.
pub(crate) async fn all_workers_run_at_once<H: Harness>() {
    const WORKERS: usize = 8;
    let pool = builder::<H, ()>().workers(WORKERS).build().unwrap();
    pool.start().unwrap();
    let everyone_in = Arc::new(Latch::new(WORKERS));
    let mut handles = Vec::new();
    for _ in 0..WORKERS {
        handles.push(pool.submit(rendezvous(&everyone_in)).await.unwrap());
    }
    assert_eq!(pool.stats().workers, WORKERS);
    for handle in handles {
        handle.await.unwrap();
    }
    pool.shutdown().await.unwrap();
}

/// With the worker busy and the queue full, `submit` waits until there is room.
pub(crate) async fn submit_waits_when_the_queue_is_full<H: Harness>() {
    let pool = builder::<H, ()>()
        .workers(1)
        .queue_capacity(2)
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let first = pool.submit(blocker(&started, &gate)).await.unwrap();
    started.wait().await;
    let queued = [
        pool.submit(noop()).await.unwrap(),
        pool.submit(noop()).await.unwrap(),
    ];
    assert_eq!(pool.stats().queued, 2);

    let mut abandoned = Box::pin(pool.submit(Tagged::new(9)));
    assert!(future::poll_once(&mut abandoned).await.is_none());
    drop(abandoned);
    assert_eq!(
        pool.stats().submitted,
        3,
        "a submit dropped while waiting queues nothing"
    );

    let mut waiting = Box::pin(pool.submit(noop()));
    assert!(
        future::poll_once(&mut waiting).await.is_none(),
        "submit into a full queue must wait"
    );
    gate.open();
    let last = waiting.await.unwrap();
    first.await.unwrap();
    for handle in queued {
        handle.await.unwrap();
    }
    last.await.unwrap();
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.submitted, report.stats.completed), (4, 4));
}

/// With the worker busy and the queue full, `try_submit` says `Full` and hands the job back.
pub(crate) async fn try_submit_says_full<H: Harness>() {
    let pool = builder::<H, ()>()
        .workers(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let first = pool.try_submit(blocker(&started, &gate)).unwrap();
    started.wait().await;
    let queued = pool.try_submit(noop()).unwrap();

    match pool.try_submit(Tagged::new(7)) {
        Err(TrySubmitError::Full(job)) => assert_eq!(job.tag, 7),
        other => panic!("expected Full, got {other:?}"),
    }
    assert!(pool.try_submit_detached(noop()).unwrap_err().is_full());
    gate.open();
    first.await.unwrap();
    queued.await.unwrap();
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.submitted, 2, "rejected jobs are not counted");
    assert_eq!(report.stats.completed, 2);
}

/// One worker starts jobs in the order they were submitted, and ids grow in that order.
pub(crate) async fn fifo_start_order_with_one_worker<H: Harness>() {
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut ids = Vec::new();
    for index in 0..50_u64 {
        let order = Arc::clone(&order);
        let job = job_fn("ordered", move |_ctx| {
            order.lock().unwrap().push(index);
            std::future::ready(Ok::<_, BoxError>(()))
        });
        ids.push(pool.submit_detached(job).await.unwrap());
    }
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    pool.start().unwrap();
    pool.shutdown().await.unwrap();
    assert_eq!(*order.lock().unwrap(), (0..50).collect::<Vec<_>>());
}

/// `max_jobs(n)` accepts `n` jobs, then closes the intake, and the workers drain the queue.
pub(crate) async fn max_jobs_closes_the_intake_and_drains<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).max_jobs(5).build().unwrap();
    let mut handles = Vec::new();
    for _ in 0..5 {
        assert!(!pool.is_closed());
        handles.push(pool.submit(noop()).await.unwrap());
    }
    assert!(pool.is_closed(), "the fifth job closes the intake");
    let Err(SubmitError::Closed(job)) = pool.submit(Tagged::new(6)).await else {
        panic!("the sixth job must come back");
    };
    assert_eq!(job.tag, 6);
    assert!(pool.try_submit(noop()).unwrap_err().is_closed());
    pool.start().unwrap();
    for handle in handles {
        handle.await.unwrap();
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.submitted, 5);
    assert_eq!(report.stats.completed, 5);
}

/// A worker with a deep queue of jobs that never wait still hands its thread back to the
/// runtime now and then, so that other tasks are not starved: its task is polled again at
/// least once per [`JOBS_PER_YIELD`](crate) jobs.
pub(crate) async fn a_busy_worker_yields_to_the_runtime<H: Harness>() {
    const JOBS: usize = 2_000;
    let executor = CountingExecutor::new(H::executor());
    let pool = WorkerPool::<_, ()>::with_executor(executor.clone())
        .workers(1)
        .queue_capacity(JOBS)
        .build()
        .unwrap();
    for _ in 0..JOBS {
        pool.submit_detached(noop()).await.unwrap();
    }
    pool.start().unwrap();
    pool.shutdown().await.unwrap();
    executor.all_finished().await;
    let polls = executor.polls();
    assert!(
        polls > JOBS / 64,
        "{JOBS} quick jobs in {polls} polls: the worker never yielded"
    );
}

/// Counts its polls, and says when it was first polled.
struct Polled<F> {
    future: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
    first: Arc<Latch>,
}

impl<F: Future> Future for Polled<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.first.count_down();
        self.future.as_mut().poll(cx)
    }
}

/// With `max_jobs`, a submit that finds every slot reserved by a send still waiting for room
/// parks until that send settles, instead of spinning: it is polled a handful of times, not
/// thousands.
pub(crate) async fn a_submit_waiting_on_the_job_limit_parks<H: Harness>() {
    let pool = Arc::new(
        builder::<H, ()>()
            .workers(1)
            .queue_capacity(1)
            .max_jobs(3)
            .build()
            .unwrap(),
    );
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let first = pool.submit(blocker(&started, &gate)).await.unwrap();
    started.wait().await;
    let second = pool.submit(noop()).await.unwrap();
    // The third takes the last slot and waits for room in the queue.
    let mut third = Box::pin(pool.submit(noop()));
    assert!(future::poll_once(&mut third).await.is_none());

    // The fourth, on a task of its own, finds every slot reserved.
    let (polls, first_poll) = (Arc::new(AtomicUsize::new(0)), Arc::new(Latch::new(1)));
    let (fourth_tx, fourth_rx) = async_channel::bounded(1);
    let fourth = Polled {
        future: Box::pin({
            let pool = Arc::clone(&pool);
            async move { pool.submit(Tagged::new(4)).await.map(drop) }
        }),
        polls: Arc::clone(&polls),
        first: Arc::clone(&first_poll),
    };
    drop(H::executor().spawn(async move {
        let _ = fourth_tx.send(fourth.await).await;
    }));
    first_poll.wait().await;
    // Time for a spinning submit to spin.
    for _ in 0..200 {
        future::yield_now().await;
    }
    gate.open();
    let third = third.await.unwrap();
    match fourth_rx.recv().await.unwrap() {
        Err(SubmitError::Closed(job)) => assert_eq!(job.tag, 4),
        other => panic!("the fourth job must come back closed, got {other:?}"),
    }
    let polls = polls.load(Ordering::SeqCst);
    assert!(
        polls <= 4,
        "the waiting submit was polled {polls} times: it spins"
    );
    for handle in [first, second, third] {
        handle.await.unwrap();
    }
    assert_eq!(pool.stats().submitted, 3);
}
