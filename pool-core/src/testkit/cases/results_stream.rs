//! The results stream at its edges: nobody reading it, a reader that never reads, and what
//! the stream costs the jobs' outputs.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::StreamExt;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gate, Harness, Latch, builder, eventually, kind_of};
use crate::{BoxError, JobErrorKind, job_fn};

/// With every reader dropped, the stream is off: a stream of one status holds up nothing.
pub(crate) async fn a_dropped_reader_never_stalls_the_pool<H: Harness>() {
    let (pool, results) = builder::<H, u64>()
        .workers(2)
        .build_with_results(1)
        .unwrap();
    drop(results);
    pool.start().unwrap();
    let mut handles = Vec::new();
    for n in 0..100_u64 {
        handles.push(
            pool.submit(job_fn("n", move |_ctx| async move { Ok::<_, BoxError>(n) }))
                .await
                .unwrap(),
        );
        pool.submit_detached(job_fn("n", move |_ctx| async move { Ok::<_, BoxError>(n) }))
            .await
            .unwrap();
    }
    for (n, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap(), n as u64);
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.completed, 200);
    assert_eq!(report.stats.waiting_for_reader, 0);
}

/// How a test stops the pool.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Graceful,
    Now,
    Deadline,
}

/// A reader that is held but never read: the workers wait for it (back-pressure, shown in
/// the stats as `waiting_for_reader`), yet every kind of shutdown returns, and the reader
/// then gets every job's status.
pub(crate) async fn an_unread_stream_never_hangs_a_shutdown<H: Harness>() {
    for mode in [Mode::Graceful, Mode::Now, Mode::Deadline] {
        const WORKERS: usize = 2;
        const JOBS: u64 = 40;
        let (pool, results) = builder::<H, u64>()
            .workers(WORKERS)
            .shutdown_grace(Duration::from_millis(50))
            .build_with_results(1)
            .unwrap();
        pool.start().unwrap();
        for n in 0..JOBS {
            pool.submit_detached(job_fn("n", move |_ctx| async move { Ok::<_, BoxError>(n) }))
                .await
                .unwrap();
        }
        eventually(|| pool.stats().waiting_for_reader == WORKERS).await;
        let stats = pool.stats();
        assert_eq!((stats.busy, stats.idle), (0, 0), "{mode:?}: {stats:?}");

        let report = match mode {
            Mode::Graceful => pool.shutdown().await,
            Mode::Now => pool.shutdown_now().await,
            Mode::Deadline => pool.shutdown_timeout(Duration::from_millis(50)).await,
        }
        .unwrap();

        assert_adds_up(&report.stats);
        assert_eq!(report.stats.waiting_for_reader, 0, "{mode:?}");
        assert_eq!(report.stats.submitted, JOBS);
        let statuses: Vec<_> = results.collect().await;
        let ids: BTreeSet<_> = statuses.iter().map(|status| status.id).collect();
        assert_eq!(ids.len() as u64, JOBS, "{mode:?}: one status per job");
        let not_started = statuses
            .iter()
            .filter(|status| kind_of(&status.outcome) == Some(JobErrorKind::NotStarted))
            .count() as u64;
        assert_eq!(not_started, report.stats.not_started, "{mode:?}");
    }
}

/// An output whose clones are counted.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Clone for Counted {
    fn clone(&self) -> Self {
        self.0.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(&self.0))
    }
}

/// The stream gets a copy of an output only when a handle waits for it too: a detached job's
/// output, or one whose handle was dropped, moves into the stream.
pub(crate) async fn outputs_move_into_the_stream_when_no_handle_waits<H: Harness>() {
    let clones = Arc::new(AtomicUsize::new(0));
    let (pool, results) = builder::<H, Counted>()
        .workers(1)
        .build_with_results(8)
        .unwrap();
    pool.start().unwrap();
    let counted = |clones: &Arc<AtomicUsize>| {
        let clones = Arc::clone(clones);
        job_fn("counted", move |_ctx| {
            let clones = Arc::clone(&clones);
            async move { Ok::<_, BoxError>(Counted(clones)) }
        })
    };

    pool.submit_detached(counted(&clones)).await.unwrap();
    assert_eq!(results.recv().await.unwrap().id.get(), 1);
    assert_eq!(clones.load(Ordering::SeqCst), 0, "detached: moved");

    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let waits = {
        let (started, gate, clones) = (Arc::clone(&started), gate.clone(), Arc::clone(&clones));
        job_fn("waits", move |_ctx| {
            let (started, gate, clones) = (Arc::clone(&started), gate.clone(), Arc::clone(&clones));
            async move {
                started.count_down();
                gate.wait().await;
                Ok::<_, BoxError>(Counted(clones))
            }
        })
    };
    let dropped = pool.submit(waits).await.unwrap();
    started.wait().await;
    drop(dropped);
    gate.open();
    results.recv().await.unwrap().outcome.unwrap();
    assert_eq!(clones.load(Ordering::SeqCst), 0, "handle dropped: moved");

    let held = pool.submit(counted(&clones)).await.unwrap();
    held.await.unwrap();
    results.recv().await.unwrap().outcome.unwrap();
    assert_eq!(clones.load(Ordering::SeqCst), 1, "handle held: one copy");
    pool.shutdown().await.unwrap();

    // A worker that waits for room in a full stream holds the output; it copies nothing.
    let clones = Arc::new(AtomicUsize::new(0));
    let (pool, results) = builder::<H, Counted>()
        .workers(1)
        .build_with_results(1)
        .unwrap();
    pool.start().unwrap();
    for _ in 0..3 {
        pool.submit_detached(counted(&clones)).await.unwrap();
    }
    eventually(|| pool.stats().waiting_for_reader == 1).await;
    for _ in 0..3 {
        results.recv().await.unwrap().outcome.unwrap();
    }
    assert_eq!(clones.load(Ordering::SeqCst), 0, "waited for room: moved");
    pool.shutdown().await.unwrap();
}

/// Workers waiting for room in the stream go on once its last reader is dropped.
pub(crate) async fn dropping_the_last_reader_releases_waiting_workers<H: Harness>() {
    const WORKERS: usize = 2;
    let (pool, results) = builder::<H, u64>()
        .workers(WORKERS)
        .build_with_results(1)
        .unwrap();
    let other_reader = results.clone();
    pool.start().unwrap();
    let mut handles = Vec::new();
    for n in 0..20_u64 {
        let job = job_fn("n", move |_ctx| async move { Ok::<_, BoxError>(n) });
        handles.push(pool.submit(job).await.unwrap());
    }
    eventually(|| pool.stats().waiting_for_reader == WORKERS).await;
    drop(results);
    // One reader is still there: the workers still wait.
    assert!(pool.stats().queued > 0);
    drop(other_reader);
    // The queued jobs run only if the waiting workers went on.
    for (n, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap(), n as u64);
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.completed, 20);
}
