//! What a Rust user expects of the API: jobs that own their data, handles that abort, sets
//! that join, errors that chain, pools that clone.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gate, Harness, Latch, blocker, builder, kind_of};
use crate::{
    BoxError, Cancelled, JobContext, JobErrorKind, JobProcessor, SubmitError, async_trait, job_fn,
};

/// A job that is neither `Sync` nor `Clone`: a `Cell` and a one-shot closure, used through
/// `&mut self`.
struct OwnsItsData {
    runs: Cell<u32>,
    finish: Option<Box<dyn FnOnce() -> u32 + Send>>,
}

#[async_trait]
impl JobProcessor for OwnsItsData {
    type Output = u32;

    fn name(&self) -> &str {
        "owns-its-data"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<u32, BoxError> {
        self.runs.set(self.runs.get() + 1);
        let finish = self.finish.take().ok_or("ran twice")?;
        Ok(finish() + self.runs.get())
    }
}

async fn read_len(text: String) -> Result<usize, std::io::Error> {
    if text.is_empty() {
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty",
        ))
    } else {
        Ok(text.len())
    }
}

/// Jobs own their data: a closure moves its captures (no clone), a job need not be `Sync`,
/// and an existing `async fn` with its own error type is submitted as it is.
pub(crate) async fn jobs_own_their_data<H: Harness>() {
    let pool = builder::<H, usize>().workers(2).build().unwrap();
    pool.start().unwrap();
    let owned = String::from("moved, not cloned");
    let moved = pool
        .submit_fn(move |_ctx| async move { Ok(owned.len()) })
        .await
        .unwrap();
    assert_eq!(moved.await.unwrap(), 17);

    // A closure with the job's context, whose future has an error type of its own.
    let from_fn = pool
        .spawn_fn(|ctx| read_len(ctx.job_name().to_owned()))
        .await
        .unwrap();
    assert_eq!(from_fn.await.unwrap(), 3, "the job's name: \"job\"");
    let failed = pool.spawn_fn(|_ctx| read_len(String::new())).await.unwrap();
    let error = failed.await.unwrap_err();
    assert_eq!(
        error
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind),
        Some(std::io::ErrorKind::InvalidInput)
    );
    let named = crate::FnJob::new("len", |_ctx| read_len("seven!!".to_owned()));
    assert_eq!(pool.submit(named).await.unwrap().await.unwrap(), 7);
    let spawned = pool.spawn(read_len("four".to_owned())).await.unwrap();
    assert_eq!(spawned.await.unwrap(), 4);
    let failed = pool.spawn(read_len(String::new())).await.unwrap();
    let error = failed.await.unwrap_err();
    assert_eq!(error.kind(), JobErrorKind::Failed);
    let io = error
        .downcast_ref::<std::io::Error>()
        .expect("the job's own error");
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(error.source().unwrap().to_string(), "empty");
    pool.shutdown().await.unwrap();

    let pool = builder::<H, u32>().workers(1).build().unwrap();
    pool.start().unwrap();
    let job = OwnsItsData {
        runs: Cell::new(0),
        finish: Some(Box::new(|| 41)),
    };
    assert_eq!(pool.submit(job).await.unwrap().await.unwrap(), 42);
    pool.shutdown().await.unwrap();
}

/// `abort` on a queued job: it never runs, and its outcome says `Aborted`. On a running job:
/// its context reports cancellation, and a job that stops returns `Cancelled`, counted as
/// such. `is_finished` says when awaiting would not wait.
pub(crate) async fn abort_stops_a_queued_job_and_asks_a_running_one<H: Harness>() {
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    pool.start().unwrap();
    let started = Arc::new(Latch::new(1));
    let running = {
        let started = Arc::clone(&started);
        pool.submit_fn(move |ctx| async move {
            started.count_down();
            ctx.cancelled().await;
            Err(Cancelled.into())
        })
        .await
        .unwrap()
    };
    started.wait().await;
    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let ran = Arc::clone(&ran);
        pool.submit_fn(move |_ctx| async move {
            ran.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap()
    };
    assert!(!queued.is_finished() && !running.is_finished());
    queued.abort();
    running.abort();
    assert_eq!(kind_of(&running.await), Some(JobErrorKind::Cancelled));
    let queued_outcome = queued.await;
    assert_eq!(kind_of(&queued_outcome), Some(JobErrorKind::Aborted));
    assert!(
        !ran.load(Ordering::SeqCst),
        "an aborted queued job never runs"
    );

    let done = pool.submit_fn(|_ctx| async { Ok(()) }).await.unwrap();
    let mut done = Box::pin(done);
    while !done.is_finished() {
        futures_lite::future::yield_now().await;
    }
    assert!(futures_lite::future::poll_once(&mut done).await.is_some());

    let report = pool.shutdown().await.unwrap();
    let stats = report.stats;
    assert_eq!(
        (
            stats.cancelled,
            stats.aborted,
            stats.completed,
            stats.started
        ),
        (1, 1, 1, 2),
        "{stats:?}"
    );
    assert_adds_up(&stats);
}

/// A job set yields each outcome with its job's id, as jobs finish, and `None` once all are
/// joined; jobs, closures and futures all go in.
pub(crate) async fn a_job_set_joins_outcomes_with_their_ids<H: Harness>() {
    let pool = builder::<H, u64>().workers(3).build().unwrap();
    pool.start().unwrap();
    let mut set = pool.job_set();
    let mut expected = BTreeMap::new();
    for n in 0..30_u64 {
        let id = if n % 3 == 0 {
            set.submit(job_fn("square", move |_ctx| async move { Ok(n * n) }))
                .await
                .unwrap()
        } else if n % 3 == 1 {
            set.submit_fn(move |_ctx| async move {
                if n == 7 {
                    Err("seven".into())
                } else {
                    Ok(n * n)
                }
            })
            .await
            .unwrap()
        } else {
            set.spawn(async move { Ok::<_, std::io::Error>(n * n) })
                .await
                .unwrap()
        };
        expected.insert(id, n);
    }
    assert_eq!(set.len(), 30);
    let mut seen = BTreeMap::new();
    while let Some((id, outcome)) = set.join_next().await {
        seen.insert(id, outcome);
    }
    assert!(set.is_empty());
    assert!(set.join_next().await.is_none());
    assert_eq!(seen.len(), 30);
    for (id, n) in expected {
        match &seen[&id] {
            Ok(square) => assert_eq!(*square, n * n),
            Err(error) => {
                assert_eq!(n, 7);
                assert_eq!(error.failure().unwrap().to_string(), "seven");
            }
        }
    }
    pool.shutdown().await.unwrap();
}

/// A set aborts its jobs by id, as a handle does: a queued one never runs and ends
/// `Aborted`, a running one is asked to stop (and ends `Cancelled`), the others run.
pub(crate) async fn a_job_set_aborts_by_id<H: Harness>() {
    let pool = builder::<H, u32>().workers(1).build().unwrap();
    pool.start().unwrap();
    let mut set = pool.job_set();
    let started = Arc::new(Latch::new(1));
    let running = {
        let started = Arc::clone(&started);
        set.submit_fn(move |ctx| async move {
            started.count_down();
            ctx.cancelled().await;
            Err(Cancelled.into())
        })
        .await
        .unwrap()
    };
    started.wait().await;
    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let ran = Arc::clone(&ran);
        set.submit_fn(move |_ctx| async move {
            ran.store(true, Ordering::SeqCst);
            Ok(1)
        })
        .await
        .unwrap()
    };
    let kept = set
        .spawn_fn(|_ctx| async { read_len("ok".to_owned()).await.map(|n| n as u32) })
        .await
        .unwrap();
    set.abort(queued);
    set.abort(running);
    let outcomes: BTreeMap<_, _> = set.join_all().await.into_iter().collect();
    assert_eq!(kind_of(&outcomes[&running]), Some(JobErrorKind::Cancelled));
    assert_eq!(kind_of(&outcomes[&queued]), Some(JobErrorKind::Aborted));
    assert_eq!(outcomes[&kept].as_ref().ok(), Some(&2));
    assert!(
        !ran.load(Ordering::SeqCst),
        "an aborted queued job never runs"
    );
    let stats = pool.shutdown().await.unwrap().stats;
    assert_eq!(
        (stats.cancelled, stats.aborted, stats.completed),
        (1, 1, 1),
        "{stats:?}"
    );
    assert_adds_up(&stats);
}

/// A closed pool hands a set's job back; a set dropped with jobs in flight detaches them: they
/// still run.
pub(crate) async fn a_job_set_hands_back_refusals_and_detaches_on_drop<H: Harness>() {
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let ran = Arc::new(AtomicUsize::new(0));
    let mut set = pool.job_set();
    set.submit(blocker(&started, &gate)).await.unwrap();
    started.wait().await;
    for _ in 0..3 {
        let ran = Arc::clone(&ran);
        set.submit_fn(move |_ctx| async move {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap();
    }
    drop(set);
    gate.open();
    let report = pool.shutdown().await.unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    assert_eq!(report.stats.completed, 4);

    let mut set = pool.job_set();
    match set.submit_fn(|_ctx| async { Ok(()) }).await {
        Err(SubmitError::Closed(job)) => assert!(job.into_inner().is_some()),
        other => panic!("a closed pool refuses: {other:?}"),
    }
    assert!(set.is_empty());
}

/// Clones are handles to one pool: any clone submits and stops it; dropping a clone does
/// nothing, and the last one drops the pool (whose workers then finish the queue).
pub(crate) async fn clones_share_one_pool<H: Harness>() {
    let pool = builder::<H, u32>().workers(2).build().unwrap();
    let producer = pool.clone();
    assert_eq!((producer.id(), producer.uuid()), (pool.id(), pool.uuid()));
    pool.start().unwrap();
    let from_clone = producer.submit_fn(|_ctx| async { Ok(1) }).await.unwrap();
    drop(producer);
    assert!(
        !pool.is_closed(),
        "dropping a clone leaves the pool running"
    );
    assert_eq!(from_clone.await.unwrap(), 1);
    assert_eq!(pool.stats().submitted, 1);

    let last = pool.clone();
    drop(pool);
    let handle = last.submit_fn(|_ctx| async { Ok(2) }).await.unwrap();
    drop(last);
    assert_eq!(
        handle.await.unwrap(),
        2,
        "the last drop lets the queue finish"
    );
}

/// A refused submit leaves no trace in the set (nothing to join, nothing lost), and a pool
/// dropped before it started tells the set its queued jobs never started.
pub(crate) async fn a_job_set_joins_only_accepted_jobs<H: Harness>() {
    let pool = builder::<H, u32>()
        .workers(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let mut set = pool.job_set();
    let blocked = {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        set.submit_fn(move |_ctx| async move {
            started.count_down();
            gate.wait().await;
            Ok(1)
        })
        .await
        .unwrap()
    };
    started.wait().await;
    let queued = set.submit_fn(|_ctx| async { Ok(2) }).await.unwrap();
    assert!(
        set.try_submit(job_fn("refused", |_ctx| async { Ok(3) }))
            .unwrap_err()
            .is_full()
    );
    assert!(set.try_join_next().is_none());
    gate.open();
    let mut joined: Vec<_> = set.join_all().await;
    joined.sort_by_key(|(id, _)| *id);
    let joined: Vec<_> = joined
        .into_iter()
        .map(|(id, outcome)| (id, outcome.unwrap()))
        .collect();
    assert_eq!(joined, [(blocked, 1), (queued, 2)]);
    pool.shutdown().await.unwrap();

    let unstarted = builder::<H, u32>().build().unwrap();
    let mut set = unstarted.job_set();
    let id = set.submit_fn(|_ctx| async { Ok(4) }).await.unwrap();
    drop(unstarted);
    let (joined, outcome) = set
        .join_next()
        .await
        .expect("the dropped pool tells the set");
    assert_eq!(joined, id);
    assert_eq!(kind_of(&outcome), Some(JobErrorKind::NotStarted));
    assert!(
        set.submit_fn(|_ctx| async { Ok(5) })
            .await
            .unwrap_err()
            .is_closed()
    );
}

/// A job its handle aborted, still queued when the pool stops now, ends `Aborted` and is not
/// handed back; the others are.
pub(crate) async fn an_aborted_queued_job_is_not_handed_back<H: Harness>() {
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    let aborted = pool.submit_fn(|_ctx| async { Ok(()) }).await.unwrap();
    let kept = pool.submit_fn(|_ctx| async { Ok(()) }).await.unwrap();
    aborted.abort();
    let report = pool.shutdown_now().await.unwrap();
    assert_eq!(kind_of(&aborted.await), Some(JobErrorKind::Aborted));
    assert_eq!(kind_of(&kept.await), Some(JobErrorKind::NotStarted));
    assert_eq!(report.unstarted.len(), 1);
    assert_eq!((report.stats.aborted, report.stats.not_started), (1, 1));
    assert_adds_up(&report.stats);
}
