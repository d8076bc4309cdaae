//! An elastic pool (`min_workers` .. `workers`, `idle_timeout`): it starts with its minimum,
//! grows when jobs wait with no idle worker, and its idle workers above the minimum retire
//! after the timeout, timed on the runtime's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::future;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gate, Harness, Latch, blocker, builder, eventually};
use crate::{BoxError, BuildError, PoolStats, WorkerPool, job_fn};

/// Short, so that the case is quick; the case waits for the retirements it causes, never for
/// a time.
const IDLE: Duration = Duration::from_millis(20);

/// A started elastic pool of `1..=workers`, whose idle workers retire after [`IDLE`].
fn started_elastic<H: Harness>(workers: usize) -> WorkerPool<H::Executor, ()> {
    let pool = builder::<H, ()>()
        .workers(workers)
        .min_workers(1)
        .idle_timeout(IDLE)
        .build()
        .unwrap();
    pool.start().unwrap();
    pool
}

/// Checks what an elastic pool's stats promise at every read while it runs.
fn assert_elastic_rules(stats: &PoolStats) {
    assert!(
        stats.min_workers <= stats.live_workers && stats.live_workers <= stats.workers,
        "live workers outside min..=workers: {stats:?}"
    );
    assert!(stats.busy <= stats.workers, "{stats:?}");
}

/// It starts with the minimum, grows to its size when that many jobs wait (four jobs meet,
/// which they can only if four workers run them), never above it, and its idle workers retire
/// back to the minimum; it grows again for the next burst.
pub(crate) async fn an_elastic_pool_grows_when_jobs_wait_and_retires_idle_workers<H: Harness>() {
    let pool = started_elastic::<H>(4);
    let stats = pool.stats();
    assert_eq!(
        (stats.live_workers, stats.min_workers, stats.workers),
        (1, 1, 4)
    );
    for burst in 1..=2_u64 {
        let (started, gate) = (Arc::new(Latch::new(4)), Gate::new());
        for _ in 0..6 {
            pool.submit_detached(blocker(&started, &gate))
                .await
                .unwrap();
        }
        started.wait().await;
        let stats = pool.stats();
        assert_eq!((stats.busy, stats.live_workers, stats.queued), (4, 4, 2));
        gate.open();
        // Retirement is on the runtime's clock: the case waits for it to happen.
        eventually(|| {
            let stats = pool.stats();
            assert_elastic_rules(&stats);
            stats.live_workers == 1 && stats.completed == 6 * burst
        })
        .await;
    }
    let report = pool.shutdown().await.unwrap();
    assert_adds_up(&report.stats);
    assert_eq!(report.stats.completed, 12);
}

/// A busy worker never retires however long it runs, the minimum never retires, and a
/// `shutdown_now` of an elastic pool hands back its queue as any pool's does.
pub(crate) async fn an_elastic_pool_keeps_busy_workers_and_its_minimum<H: Harness>() {
    let pool = started_elastic::<H>(3);
    let (started, long_gate, short_gate) = (Arc::new(Latch::new(3)), Gate::new(), Gate::new());
    let long_seat = Arc::new(AtomicUsize::new(usize::MAX));
    let long = {
        let (started, gate, seat) = (
            Arc::clone(&started),
            long_gate.clone(),
            Arc::clone(&long_seat),
        );
        pool.submit(job_fn("long", move |ctx| async move {
            seat.store(ctx.worker_id(), Ordering::SeqCst);
            started.count_down();
            gate.wait().await;
            Ok::<_, BoxError>(())
        }))
        .await
        .unwrap()
    };
    let mut short = Vec::new();
    for _ in 0..2 {
        short.push(pool.submit(blocker(&started, &short_gate)).await.unwrap());
    }
    started.wait().await;
    assert_eq!(pool.stats().live_workers, 3);
    short_gate.open();
    for handle in short {
        handle.await.unwrap();
    }
    // Seat 0 (the minimum) stays, and so does the long job's worker, busy through many idle
    // timeouts; the idle worker above the minimum retires.
    let stays = if long_seat.load(Ordering::SeqCst) == 0 {
        1
    } else {
        2
    };
    eventually(|| {
        let stats = pool.stats();
        assert_elastic_rules(&stats);
        stats.busy == 1 && stats.live_workers == stays
    })
    .await;
    for _ in 0..5 {
        pool.submit_detached(job_fn("queued", |_ctx| async { Ok::<_, BoxError>(()) }))
            .await
            .unwrap();
    }
    let stopping = pool.shutdown_now();
    let opener = async {
        while !pool.is_closed() {
            future::yield_now().await;
        }
        long_gate.open();
    };
    let (report, ()) = future::zip(stopping, opener).await;
    let report = report.unwrap();
    long.await.unwrap();
    assert_adds_up(&report.stats);
    assert_eq!(
        report.stats.completed + report.stats.not_started,
        8,
        "every job ran or came back: {:?}",
        report.stats
    );
}

/// Jobs wait while workers retired by a shrink still hold their seats: growth waits for
/// them, and when the last leaves, the free seat below the new size is filled for the job
/// (which must not wait behind a worker that may never finish).
pub(crate) async fn growth_fills_a_seat_freed_while_a_shrink_takes_effect<H: Harness>() {
    let pool = started_elastic::<H>(4);
    let gates: Arc<Vec<Gate>> = Arc::new((0..4).map(|_| Gate::new()).collect());
    let started = Arc::new(Latch::new(4));
    for _ in 0..4 {
        let (gates, started) = (Arc::clone(&gates), Arc::clone(&started));
        let job = job_fn("held by its seat", move |ctx| async move {
            started.count_down();
            gates[ctx.worker_id()].wait().await;
            Ok::<_, BoxError>(())
        });
        pool.submit_detached(job).await.unwrap();
    }
    started.wait().await;
    pool.resize(2).unwrap();
    // Seat 1 (wanted) finishes and idles out; seats 2 and 3 (unwanted) still run.
    gates[1].open();
    eventually(|| pool.stats().live_workers == 3).await;
    let late = pool
        .submit(job_fn("late", |_ctx| async { Ok::<_, BoxError>(()) }))
        .await
        .unwrap();
    gates[2].open();
    gates[3].open();
    // Seat 0 still holds its job: only a new worker in seat 1 can run this one.
    late.await.unwrap();
    gates[0].open();
    let report = pool.shutdown().await.unwrap();
    assert_adds_up(&report.stats);
    assert_eq!(report.stats.completed, 5);
}

/// An elastic pool's settings are checked at build.
pub(crate) async fn elastic_configuration_is_checked<H: Harness>() {
    let build = |min: Option<usize>, idle: Option<Duration>| {
        let mut builder = builder::<H, ()>().workers(4);
        if let Some(min) = min {
            builder = builder.min_workers(min);
        }
        if let Some(idle) = idle {
            builder = builder.idle_timeout(idle);
        }
        builder.build().map(|pool| pool.stats())
    };
    assert_eq!(
        build(Some(2), None).unwrap_err(),
        BuildError::MinWorkersWithoutIdleTimeout
    );
    assert_eq!(
        build(Some(0), Some(IDLE)).unwrap_err(),
        BuildError::MinWorkersOutOfRange { min: 0, workers: 4 }
    );
    assert_eq!(
        build(Some(5), Some(IDLE)).unwrap_err(),
        BuildError::MinWorkersOutOfRange { min: 5, workers: 4 }
    );
    assert_eq!(
        build(None, Some(Duration::ZERO)).unwrap_err(),
        BuildError::ZeroIdleTimeout
    );
    let elastic = build(None, Some(IDLE)).unwrap();
    assert_eq!((elastic.min_workers, elastic.workers), (1, 4));
    let fixed = build(None, None).unwrap();
    assert_eq!((fixed.min_workers, fixed.workers), (4, 4));
}
