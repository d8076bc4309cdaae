//! What helps a job stop and a caller see: cancellation helpers, a fused stream, spans, and
//! resources per worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_core::FusedStream;
use futures_lite::StreamExt;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Harness, Latch, SpanRecorder, Tagged, builder, kind_of};
use crate::{BoxError, CancellationToken, Cancelled, Executor, JobErrorKind};

/// A job that runs its work through `run_until_cancelled` stops at `shutdown_now` and is
/// counted as cancelled; a drop guard cancels its token at the end of its scope; an owned
/// `cancelled` future goes into a task of its own.
pub(crate) async fn cancellation_helpers_stop_jobs_and_scopes<H: Harness>() {
    let pool = builder::<H, u32>().workers(1).build().unwrap();
    pool.start().unwrap();
    let started = Arc::new(Latch::new(1));
    let stopping = {
        let started = Arc::clone(&started);
        pool.submit_fn(move |ctx| async move {
            started.count_down();
            let never = ctx.run_until_cancelled(std::future::pending::<u32>()).await;
            Ok(never.ok_or(Cancelled)?)
        })
        .await
        .unwrap()
    };
    started.wait().await;
    let report = pool.shutdown_now().await.unwrap();
    assert_eq!(stopping.await.unwrap_err().kind(), JobErrorKind::Cancelled);
    assert_eq!((report.stats.cancelled, report.stats.failed), (1, 0));
    assert_adds_up(&report.stats);

    let token = CancellationToken::new();
    let (told_tx, told_rx) = async_channel::bounded(1);
    drop(H::executor().spawn({
        let owned = token.clone().cancelled_owned();
        async move {
            owned.await;
            let _ = told_tx.send(()).await;
        }
    }));
    {
        let _guard = token.clone().drop_guard();
    }
    assert!(token.is_cancelled());
    told_rx.recv().await.unwrap();
    let kept = CancellationToken::new();
    let guard = kept.clone().drop_guard();
    assert!(!guard.disarm().is_cancelled());
    assert!(!kept.is_cancelled());
    assert_eq!(kept.run_until_cancelled(async { 5 }).await, Some(5));
}

/// The results stream is fused: once it said `None`, it says so for good.
pub(crate) async fn the_results_stream_is_fused<H: Harness>() {
    let (pool, mut results) = builder::<H, u8>().build_with_results(4).unwrap();
    pool.start().unwrap();
    drop(pool.submit_fn(|_ctx| async { Ok(1) }).await.unwrap());
    pool.shutdown().await.unwrap();
    assert!(!results.is_terminated());
    assert_eq!(results.next().await.unwrap().outcome.unwrap(), 1);
    assert!(results.next().await.is_none());
    assert!(results.is_terminated());
    assert!(results.next().await.is_none());
}

/// Each job runs in a span whose parent is the span current where it was submitted, and which
/// names the pool, the job and its worker.
pub(crate) async fn a_job_runs_in_a_span_under_its_submitter<H: Harness>() {
    let recorder = SpanRecorder::installed();
    // Named by its id: the cases run at once, on one recorder.
    let pool = builder::<H, u64>().workers(2).build().unwrap();
    let pool_field = format!("pool={} ", pool.name());
    pool.start().unwrap();
    let request = tracing::info_span!("request", id = 7);
    let request_id = request.id().expect("the recorder records it").into_u64();
    let handle = {
        let _in_request = request.enter();
        pool.submit_fn(|ctx| async move { Ok(ctx.job_id().get()) })
            .await
            .unwrap()
    };
    let job_id = handle.await.unwrap();
    pool.shutdown().await.unwrap();
    let spans = recorder.spans();
    let job_span = spans
        .values()
        .find(|span| {
            span.name == "job"
                && span.fields.contains(&pool_field)
                && span.fields.contains(&format!("job={job_id} "))
        })
        .unwrap_or_else(|| panic!("no span for the job among {spans:?}"));
    assert_eq!(job_span.parent, Some(request_id), "{job_span:?}");
    assert!(job_span.fields.contains("worker="), "{job_span:?}");
}

/// A resource per worker is made once per worker, lent to one job at a time, and always to a
/// job of its own worker.
pub(crate) async fn a_per_worker_resource_is_lent_to_one_job_at_a_time<H: Harness>() {
    const WORKERS: usize = 3;
    let pool = builder::<H, ()>().workers(WORKERS).build().unwrap();
    let made = Arc::new(AtomicUsize::new(0));
    let resources = {
        let made = Arc::clone(&made);
        pool.per_worker(move |worker| {
            made.fetch_add(1, Ordering::SeqCst);
            (worker, Arc::new(AtomicUsize::new(0)))
        })
    };
    pool.start().unwrap();
    let mut set = pool.job_set();
    for _ in 0..90 {
        let resources = resources.clone();
        set.submit_fn(move |ctx| async move {
            let lease = resources.lease(&ctx);
            let (worker, in_use) = &*lease;
            if *worker != ctx.worker_id() {
                return Err(BoxError::from("lent to another worker's job"));
            }
            if in_use.fetch_add(1, Ordering::SeqCst) != 0 {
                return Err(BoxError::from("lent to two jobs at once"));
            }
            futures_lite::future::yield_now().await;
            in_use.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap();
    }
    for (id, outcome) in set.join_all().await {
        outcome.unwrap_or_else(|error| panic!("{id}: {error}"));
    }
    assert!(made.load(Ordering::SeqCst) <= WORKERS);
    assert_eq!(resources.opened(), made.load(Ordering::SeqCst));
    pool.shutdown().await.unwrap();
}

/// A job submitted to a pool that is not started is logged once, as a warning: the one sign
/// of a forgotten `start`.
pub(crate) async fn a_job_submitted_before_start_is_warned_of<H: Harness>() {
    let recorder = SpanRecorder::installed();
    let pool = builder::<H, ()>().build().unwrap();
    let pool_field = format!("pool={} ", pool.name());
    let warned = || {
        recorder
            .warnings()
            .iter()
            .filter(|text| text.contains(&pool_field) && text.contains("not started"))
            .count()
    };
    let before = warned();
    drop(pool.submit_fn(|_ctx| async { Ok(()) }).await.unwrap());
    drop(pool.submit_fn(|_ctx| async { Ok(()) }).await.unwrap());
    assert_eq!(warned() - before, 1, "{:?}", recorder.warnings());
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.unstarted.len(), 2);
}

/// A resource whose making panics is made again by the worker's next job, and then kept.
pub(crate) async fn a_per_worker_resource_that_fails_to_open_is_made_again<H: Harness>() {
    let pool = builder::<H, u32>().workers(1).build().unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let resources = {
        let attempts = Arc::clone(&attempts);
        pool.per_worker(move |_worker| {
            assert!(
                attempts.fetch_add(1, Ordering::SeqCst) > 0,
                "the first open fails"
            );
            7_u32
        })
    };
    pool.start().unwrap();
    let lease = |resources: &crate::PerWorker<u32>| {
        let resources = resources.clone();
        move |ctx: crate::JobContext| async move { Ok(*resources.lease(&ctx)) }
    };
    let failed = pool.submit_fn(lease(&resources)).await.unwrap().await;
    assert_eq!(kind_of(&failed), Some(JobErrorKind::Panicked));
    for _ in 0..3 {
        assert_eq!(
            pool.submit_fn(lease(&resources))
                .await
                .unwrap()
                .await
                .unwrap(),
            7
        );
    }
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "made again once, then kept"
    );
    assert_eq!(resources.opened(), 1);
    pool.shutdown().await.unwrap();
}

/// With timings on, every job that began has its queue wait and run time recorded, and the
/// percentiles bound what the test saw from outside: the first job ran at least as long as
/// the test held it, the second waited at least as long as it sat in the queue behind it.
/// Jobs that never began are not counted; without timings there are none.
pub(crate) async fn timings_measure_queue_wait_and_run_time<H: Harness>() {
    let untimed = builder::<H, ()>().build().unwrap();
    assert_eq!(untimed.stats().timings, None);

    let pool = builder::<H, ()>().workers(1).timings(true).build().unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), crate::testkit::Gate::new());
    let held = {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        crate::job_fn("held", move |_ctx| async move {
            started.count_down();
            gate.wait().await;
            Ok::<_, BoxError>(())
        })
    };
    pool.submit_detached(held).await.unwrap();
    started.wait().await;
    let held_from = std::time::Instant::now();
    pool.submit_detached(crate::job_fn("behind", |_ctx| async {
        Ok::<_, BoxError>(())
    }))
    .await
    .unwrap();
    let queued_from = std::time::Instant::now();
    crate::testkit::eventually(|| pool.stats().queued == 1).await;
    let (held_for, queued_for) = (held_from.elapsed(), queued_from.elapsed());
    gate.open();
    crate::testkit::eventually(|| pool.stats().completed == 2).await;
    // Queued behind a job that never ends: handed back by `shutdown_now`, never timed.
    let (blocker_started, never) = (Arc::new(Latch::new(1)), crate::testkit::Gate::new());
    let blocker = {
        let (blocker_started, never) = (Arc::clone(&blocker_started), never.clone());
        crate::job_fn("blocker", move |ctx| async move {
            blocker_started.count_down();
            ctx.run_until_cancelled(never.wait()).await;
            Ok::<_, BoxError>(())
        })
    };
    pool.submit_detached(blocker).await.unwrap();
    blocker_started.wait().await;
    // With timings, a job travels boxed with its submit time: it comes back as itself.
    pool.submit_detached(Tagged::new(7)).await.unwrap();

    let report = pool.shutdown_now().await.unwrap();
    let [unstarted] = <[_; 1]>::try_from(report.unstarted).expect("one job handed back");
    assert_eq!(unstarted.downcast::<Tagged>().expect("a Tagged").tag, 7);
    assert_adds_up(&report.stats);
    let timings = report.stats.timings.expect("timings were asked for");
    assert_eq!(timings.run.count, 3, "{timings:?}");
    assert_eq!(timings.queue_wait.count, 3, "{timings:?}");
    assert!(timings.run.max >= held_for, "{timings:?} held {held_for:?}");
    assert!(
        timings.queue_wait.max >= queued_for,
        "{timings:?} queued {queued_for:?}"
    );
    for p in [timings.run, timings.queue_wait] {
        assert!(p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.max, "{p:?}");
    }
}
