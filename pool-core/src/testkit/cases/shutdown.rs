//! The ways a pool stops, and what becomes of its jobs.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::future;

use crate::testkit::{Gate, Harness, Latch, Tagged, builder, graceful, kind_of, noop, pool_under};
use crate::{
    BoxError, JobContext, JobErrorKind, JobHandle, JobProcessor, PoolStats, async_trait, job_fn,
};

/// A job that waits at `gate`, then counts itself in `runs`.
fn gated(gate: &Gate, runs: &Arc<AtomicUsize>) -> impl JobProcessor<Output = ()> {
    let (gate, runs) = (gate.clone(), Arc::clone(runs));
    job_fn("gated", move |_ctx| {
        let (gate, runs) = (gate.clone(), Arc::clone(&runs));
        async move {
            gate.wait().await;
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<_, BoxError>(())
        }
    })
}

/// The final stats of a stopped pool: every job has its outcome, and nothing is left.
pub(crate) fn assert_adds_up(stats: &PoolStats) {
    assert_eq!(
        stats.submitted,
        stats.finished(),
        "the outcomes do not add up: {stats:?}"
    );
    assert_eq!(
        (stats.busy, stats.idle, stats.queued),
        (0, 0, 0),
        "{stats:?}"
    );
}

/// `shutdown` closes the intake at once, then runs every queued job before it returns.
pub(crate) async fn graceful_shutdown_runs_every_queued_job<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    let (gate, runs) = (Gate::new(), Arc::new(AtomicUsize::new(0)));
    for _ in 0..100 {
        pool.submit_detached(gated(&gate, &runs)).await.unwrap();
    }
    let opener = async {
        while !pool.is_closed() {
            future::yield_now().await;
        }
        assert!(pool.try_submit(noop()).unwrap_err().is_closed());
        gate.open();
    };
    let (report, ()) = future::zip(pool.shutdown(), opener).await;
    let report = report.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 100);
    assert_eq!(report.stats.completed, 100);
    assert!(report.unstarted.is_empty());
    assert_adds_up(&report.stats);
}

/// A graceful shutdown of a pool that never started runs nothing and hands every job back.
pub(crate) async fn graceful_shutdown_of_an_unstarted_pool_hands_jobs_back<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    let handle = pool.submit(Tagged::new(5)).await.unwrap();
    let report = pool.shutdown().await.unwrap();
    assert!(kind_of(&handle.await) == Some(JobErrorKind::NotStarted));
    assert_eq!(report.unstarted.len(), 1);
    let job = report
        .unstarted
        .into_iter()
        .next()
        .unwrap()
        .downcast::<Tagged>()
        .unwrap();
    assert_eq!((job.tag, job.runs.load(Ordering::SeqCst)), (5, 0));
    assert_eq!(report.stats.not_started, 1);
    assert_adds_up(&report.stats);
}

/// `shutdown_now` cancels running jobs (they see it and finish) and hands back exactly the
/// jobs that never started, which never run.
pub(crate) async fn shutdown_now_returns_exactly_the_unstarted_jobs<H: Harness>() {
    const WORKERS: usize = 2;
    let (upstream, pool) = pool_under::<H, ()>(WORKERS);
    pool.start().unwrap();
    let (started, saw_cancel) = (Arc::new(Latch::new(WORKERS)), Arc::new(AtomicUsize::new(0)));
    let mut running = Vec::new();
    for _ in 0..WORKERS {
        running.push(pool.submit(graceful(&started, &saw_cancel)).await.unwrap());
    }
    started.wait().await;
    let queued: Vec<Tagged> = (0..10).map(Tagged::new).collect();
    let mut queued_handles = Vec::new();
    for job in &queued {
        queued_handles.push(pool.submit(job.clone()).await.unwrap());
    }

    let report = pool.shutdown_now().await.unwrap();

    assert_eq!(saw_cancel.load(Ordering::SeqCst), WORKERS);
    for handle in running {
        handle.await.unwrap();
    }
    for handle in queued_handles {
        assert!(kind_of(&handle.await) == Some(JobErrorKind::NotStarted));
    }
    let tags: BTreeSet<u64> = report
        .unstarted
        .into_iter()
        .map(|job| job.downcast::<Tagged>().expect("a Tagged job").tag)
        .collect();
    assert_eq!(tags, (0..10).collect());
    assert!(
        queued
            .iter()
            .all(|job| job.runs.load(Ordering::SeqCst) == 0)
    );
    assert_eq!((report.stats.completed, report.stats.not_started), (2, 10));
    assert_adds_up(&report.stats);
    assert!(
        !upstream.is_cancelled(),
        "the pool's shutdown leaves upstream alone"
    );
}

/// Cancelling the parent token stops the pool as `shutdown_now` does: running jobs see it,
/// queued ones are handed back, and the intake closes.
pub(crate) async fn parent_token_cancellation_stops_the_pool<H: Harness>() {
    let (upstream, pool) = pool_under::<H, ()>(1);
    pool.start().unwrap();
    let (started, saw_cancel) = (Arc::new(Latch::new(1)), Arc::new(AtomicUsize::new(0)));
    let running = pool.submit(graceful(&started, &saw_cancel)).await.unwrap();
    started.wait().await;
    let mut queued = Vec::new();
    for tag in 0..5 {
        queued.push(pool.submit(Tagged::new(tag)).await.unwrap());
    }

    upstream.cancel();

    assert!(pool.cancellation_token().is_cancelled());
    assert!(pool.is_closed(), "cancellation closes the intake");
    assert!(pool.submit(noop()).await.is_err());
    running.await.unwrap();
    assert_eq!(saw_cancel.load(Ordering::SeqCst), 1);
    for handle in queued {
        assert!(kind_of(&handle.await) == Some(JobErrorKind::NotStarted));
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.unstarted.len(), 5);
    assert_eq!((report.stats.completed, report.stats.not_started), (1, 5));
    assert_adds_up(&report.stats);
}

/// `shutdown_timeout` waits, cancels, and after the grace period aborts the job that
/// ignores cancellation; the job that honours it finishes, the queued ones come back.
pub(crate) async fn shutdown_timeout_aborts_a_job_that_ignores_cancellation<H: Harness>() {
    let pool = builder::<H, ()>()
        .workers(2)
        .shutdown_grace(Duration::from_millis(20))
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, saw_cancel) = (Arc::new(Latch::new(2)), Arc::new(AtomicUsize::new(0)));
    let stubborn = {
        let started = Arc::clone(&started);
        pool.submit(job_fn("stubborn", move |_ctx| {
            started.count_down();
            future::pending::<Result<(), BoxError>>()
        }))
        .await
        .unwrap()
    };
    let polite = pool.submit(graceful(&started, &saw_cancel)).await.unwrap();
    started.wait().await;
    let mut queued = Vec::new();
    for tag in 0..3 {
        queued.push(pool.submit(Tagged::new(tag)).await.unwrap());
    }

    let report = pool
        .shutdown_timeout(Duration::from_millis(20))
        .await
        .unwrap();

    assert!(kind_of(&stubborn.await) == Some(JobErrorKind::Aborted));
    polite.await.unwrap();
    for handle in queued {
        assert!(kind_of(&handle.await) == Some(JobErrorKind::NotStarted));
    }
    let stats = report.stats;
    assert_eq!(
        (stats.aborted, stats.completed, stats.not_started),
        (1, 1, 3)
    );
    assert_eq!(report.unstarted.len(), 3);
    assert_adds_up(&stats);
}

/// Dropping a started pool without a shutdown loses nothing: the workers finish the queue.
pub(crate) async fn dropping_a_started_pool_still_runs_its_jobs<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    let (gate, runs) = (Gate::new(), Arc::new(AtomicUsize::new(0)));
    let mut handles = Vec::new();
    for _ in 0..20 {
        handles.push(pool.submit(gated(&gate, &runs)).await.unwrap());
    }
    drop(pool);
    gate.open();
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 20);
}

/// Dropping a pool that never started resolves its jobs' handles to `NotStarted`.
pub(crate) async fn dropping_an_unstarted_pool_resolves_handles<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    let job = Tagged::new(1);
    let handle = pool.submit(job.clone()).await.unwrap();
    drop(pool);
    assert!(kind_of(&handle.await) == Some(JobErrorKind::NotStarted));
    assert_eq!(job.runs.load(Ordering::SeqCst), 0);
}

/// The book-keeping is live while the pool runs and adds up once it has stopped.
pub(crate) async fn stats_add_up<H: Harness>() {
    const WORKERS: usize = 3;
    let pool = builder::<H, u8>()
        .workers(WORKERS)
        .job_timeout(Duration::from_millis(30))
        .build()
        .unwrap();
    assert_eq!(pool.stats().idle, 0, "no worker before start");
    pool.start().unwrap();
    assert_eq!(pool.stats().idle, WORKERS);

    let (started, gate) = (Arc::new(Latch::new(WORKERS)), Gate::new());
    let mut handles = Vec::new();
    for _ in 0..WORKERS {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        let job = job_fn("held", move |_ctx| {
            let (started, gate) = (Arc::clone(&started), gate.clone());
            async move {
                started.count_down();
                gate.wait().await;
                Ok::<_, BoxError>(1)
            }
        });
        handles.push(pool.submit(job).await.unwrap());
    }
    started.wait().await;
    for n in 0..12_u8 {
        let job = job_fn("mixed", move |_ctx| async move {
            match n % 4 {
                0 => Ok::<_, BoxError>(n),
                1 => Err("no".into()),
                2 => panic!("no!"),
                _ => future::pending().await,
            }
        });
        handles.push(pool.submit(job).await.unwrap());
    }
    let live = pool.stats();
    assert_eq!(
        (live.busy, live.idle, live.queued),
        (WORKERS, 0, 12),
        "{live:?}"
    );
    assert_eq!((live.submitted, live.started), (15, 3), "{live:?}");
    gate.open();
    for handle in handles {
        let _ = handle.await;
    }
    let report = pool.shutdown().await.unwrap();
    let stats = report.stats;
    assert_eq!(
        (
            stats.completed,
            stats.failed,
            stats.panicked,
            stats.timed_out
        ),
        (6, 3, 3, 3)
    );
    assert_eq!(stats.started, 15);
    assert_adds_up(&stats);
}

/// A job that ignores cancellation and holds the slot its own handle waits in: its `Drop`
/// looks at the handle, to tell whether the outcome was told before the job was dropped.
struct Stubborn {
    started: Arc<Latch>,
    handle: Arc<Mutex<Option<JobHandle<()>>>>,
    told_before_dropped: Arc<AtomicBool>,
}

#[async_trait]
impl JobProcessor for Stubborn {
    type Output = ();

    fn name(&self) -> &str {
        "stubborn"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.started.count_down();
        future::pending().await
    }
}

impl Drop for Stubborn {
    fn drop(&mut self) {
        let mut slot = self.handle.lock().unwrap();
        let handle = slot
            .as_mut()
            .expect("the case put the handle in before the abort");
        if future::block_on(future::poll_once(handle)).is_some() {
            self.told_before_dropped.store(true, Ordering::SeqCst);
        }
    }
}

/// A job aborted at a shutdown deadline is dropped before its handle resolves to `Aborted`,
/// as on every other path.
pub(crate) async fn an_aborted_job_is_dropped_before_its_handle_resolves<H: Harness>() {
    let pool = builder::<H, ()>()
        .workers(1)
        .shutdown_grace(Duration::from_millis(10))
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, slot) = (Arc::new(Latch::new(1)), Arc::new(Mutex::new(None)));
    let told_before_dropped = Arc::new(AtomicBool::new(false));
    let handle = pool
        .submit(Stubborn {
            started: Arc::clone(&started),
            handle: Arc::clone(&slot),
            told_before_dropped: Arc::clone(&told_before_dropped),
        })
        .await
        .unwrap();
    *slot.lock().unwrap() = Some(handle);
    started.wait().await;

    let report = pool
        .shutdown_timeout(Duration::from_millis(10))
        .await
        .unwrap();

    assert_eq!(report.stats.aborted, 1);
    assert!(
        !told_before_dropped.load(Ordering::SeqCst),
        "the handle resolved while the job was still alive"
    );
    let handle = slot.lock().unwrap().take().unwrap();
    assert!(kind_of(&handle.await) == Some(JobErrorKind::Aborted));
}
