//! Jobs that submit into their own pool: refused when waiting could never end, never refused
//! while a worker is left to make room.

use std::sync::{Arc, Weak};

use futures_lite::future;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gate, Harness, Latch, builder, eventually};
use crate::{BoxError, Executor, JobHandle, JobProcessor, SubmitError, WorkerPool, job_fn};

/// What a job's own submits came to.
const GOT_IN: u64 = 1;
const WOULD_DEADLOCK: u64 = 0;

/// A job that says it started, waits for `go`, then submits `submits` children into its own
/// pool at once; its value is how many got in (each refusal must be `WouldDeadlock`).
fn submitter<E: Executor>(
    pool: Weak<WorkerPool<E, u64>>,
    started: &Arc<Latch>,
    go: &Gate,
    submits: usize,
) -> impl JobProcessor<Output = u64> {
    let (started, go) = (Arc::clone(started), go.clone());
    job_fn("submits-into-its-pool", move |_ctx| {
        let (pool, started, go) = (pool.clone(), Arc::clone(&started), go.clone());
        async move {
            started.count_down();
            go.wait().await;
            let pool = pool.upgrade().expect("the case holds the pool");
            let child = || pool.submit(job_fn("child", |_ctx| async { Ok::<_, BoxError>(2) }));
            let outcomes = if submits == 1 {
                vec![child().await]
            } else {
                let (first, second) = future::zip(child(), child()).await;
                vec![first, second]
            };
            let mut got_in = 0;
            for outcome in outcomes {
                match outcome {
                    Ok(_handle) => got_in += GOT_IN,
                    Err(SubmitError::WouldDeadlock(_child)) => got_in += WOULD_DEADLOCK,
                    Err(SubmitError::Closed(_)) => return Err(BoxError::from("closed")),
                }
            }
            Ok(got_in)
        }
    })
}

/// Submits a [`submitter`] of `submits` children and waits until it runs; it goes on when the
/// returned gate opens.
async fn start_submitter<E: Executor>(
    pool: &Arc<WorkerPool<E, u64>>,
    submits: usize,
) -> (JobHandle<u64>, Gate) {
    let (started, go) = (Arc::new(Latch::new(1)), Gate::new());
    let handle = pool
        .submit(submitter(Arc::downgrade(pool), &started, &go, submits))
        .await
        .unwrap();
    started.wait().await;
    (handle, go)
}

/// A job that says it started and holds its worker until `release` opens.
fn holder(started: &Arc<Latch>, release: &Gate) -> impl JobProcessor<Output = u64> {
    let (started, release) = (Arc::clone(started), release.clone());
    job_fn("holder", move |_ctx| {
        let (started, release) = (Arc::clone(&started), release.clone());
        async move {
            started.count_down();
            release.wait().await;
            Ok::<_, BoxError>(3)
        }
    })
}

/// Fills the queue (of one) with a quick job, whose handle comes back.
async fn fill<E: Executor>(pool: &WorkerPool<E, u64>) -> JobHandle<u64> {
    pool.submit(job_fn("filler", |_ctx| async { Ok::<_, BoxError>(4) }))
        .await
        .unwrap()
}

/// Waits until a job that was just let go is counted waiting in its submit: the pool's own
/// count, which its deadlock check reads, so that what comes next finds it waiting.
async fn until_it_waits<E: Executor>(pool: &WorkerPool<E, u64>) {
    eventually(|| pool.state().own_jobs_waiting.workers_waiting() >= 1).await;
}

async fn stop<E: Executor>(pool: Arc<WorkerPool<E, u64>>) {
    let pool = Arc::into_inner(pool).expect("the jobs let go of their pool");
    let report = pool.shutdown().await.unwrap();
    assert_adds_up(&report.stats);
}

/// Alone in its pool, a job whose submit finds the queue full gets its job back as
/// `WouldDeadlock` instead of waiting forever.
pub(crate) async fn a_job_alone_in_its_full_pool_is_told_it_would_deadlock<H: Harness>() {
    let pool = Arc::new(
        builder::<H, u64>()
            .workers(1)
            .queue_capacity(1)
            .build()
            .unwrap(),
    );
    pool.start().unwrap();
    let (submitter, go) = start_submitter(&pool, 1).await;
    let filler = fill(&pool).await;
    go.open();
    assert_eq!(submitter.await.unwrap(), WOULD_DEADLOCK);
    assert_eq!(filler.await.unwrap(), 4);
    stop(pool).await;
}

/// With another worker left to make room, a job's submits wait and get in, even two at once
/// from one job (one worker waiting, not two).
pub(crate) async fn a_job_waits_for_room_while_another_worker_can_make_it<H: Harness>() {
    for submits in [1, 2] {
        let pool = Arc::new(
            builder::<H, u64>()
                .workers(2)
                .queue_capacity(1)
                .build()
                .unwrap(),
        );
        pool.start().unwrap();
        let (submitter, go) = start_submitter(&pool, submits).await;
        let (held, release) = (Arc::new(Latch::new(1)), Gate::new());
        let other = pool.submit(holder(&held, &release)).await.unwrap();
        held.wait().await;
        let filler = fill(&pool).await;
        go.open();
        until_it_waits(&pool).await;
        release.open();
        assert_eq!(other.await.unwrap(), 3);
        assert_eq!(submitter.await.unwrap(), submits as u64 * GOT_IN);
        assert_eq!(filler.await.unwrap(), 4);
        stop(pool).await;
    }
}

/// With `max_jobs`, a job that finds every slot reserved by another of the pool's jobs, itself
/// waiting for room, is told it would deadlock: both workers wait on each other otherwise.
pub(crate) async fn a_job_parked_on_the_job_limit_is_told_it_would_deadlock<H: Harness>() {
    let pool = Arc::new(
        builder::<H, u64>()
            .workers(2)
            .queue_capacity(1)
            .max_jobs(4)
            .build()
            .unwrap(),
    );
    pool.start().unwrap();
    let (first, first_go) = start_submitter(&pool, 1).await;
    let (second, second_go) = start_submitter(&pool, 1).await;
    let filler = fill(&pool).await;
    // The first takes the last slot and waits for room; only then is the second let go, to
    // find no slot with both workers waiting: one is told, one gets in.
    first_go.open();
    until_it_waits(&pool).await;
    second_go.open();
    let mut outcomes = [first.await.unwrap(), second.await.unwrap()];
    outcomes.sort_unstable();
    assert_eq!(outcomes, [WOULD_DEADLOCK, GOT_IN]);
    assert_eq!(filler.await.unwrap(), 4);
    stop(pool).await;
}
