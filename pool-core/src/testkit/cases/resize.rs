//! `resize`: workers added at once, retired after their job, never a job lost or run twice,
//! and the size bound checked by readers while it changes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use futures_lite::future;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gate, Gauge, Harness, Latch, blocker, builder, eventually};
use crate::{BoxError, Executor, JobProcessor, ResizeError, WorkerPool, job_fn};

/// The bound a case checks the gauge against, and the first time it did not hold.
///
/// It is raised *before* a resize up and lowered only *after* a shrink has taken effect
/// (`live_workers` at or below the new size), so at every moment it is at least what the pool
/// promises. Checks read it under the lock, so that it cannot change while they compare.
#[derive(Default)]
struct Bound {
    allowed: RwLock<usize>,
    broken: Mutex<Option<String>>,
}

impl Bound {
    fn new(size: usize) -> Self {
        Self {
            allowed: RwLock::new(size),
            broken: Mutex::default(),
        }
    }

    fn check(&self, gauge: &Gauge, by: &str) {
        let allowed = self.allowed.read().unwrap();
        let now = gauge.now();
        if now > *allowed {
            let mut broken = self.broken.lock().unwrap();
            broken.get_or_insert_with(|| format!("{by} saw {now} jobs at once, above {allowed}"));
        }
    }

    fn set(&self, size: usize) {
        *self.allowed.write().unwrap() = size;
    }

    fn assert_held(&self) {
        if let Some(broken) = self.broken.lock().unwrap().take() {
            panic!("{broken}");
        }
    }
}

/// A job that counts its run in `runs[index]`, enters `gauge`, checks `bound` from inside,
/// and yields a few times so that jobs overlap.
fn measured(
    index: usize,
    runs: &Arc<Vec<AtomicUsize>>,
    gauge: &Arc<Gauge>,
    bound: &Arc<Bound>,
) -> impl JobProcessor<Output = ()> {
    let (runs, gauge, bound) = (Arc::clone(runs), Arc::clone(gauge), Arc::clone(bound));
    job_fn("measured", move |_ctx| async move {
        runs[index].fetch_add(1, Ordering::SeqCst);
        let _inside = gauge.enter();
        bound.check(&gauge, "a job");
        for _ in 0..3 {
            future::yield_now().await;
        }
        Ok::<_, BoxError>(())
    })
}

/// Resizes up and down while producers keep the queue full: a reader and every job check the
/// number of jobs running against the size, every job runs exactly once, and a shrink takes
/// effect (the retired workers leave) while the pool is under load.
pub(crate) async fn resize_under_load_keeps_the_bound<H: Harness>() {
    const JOBS: usize = 4_000;
    let pool = Arc::new(
        builder::<H, ()>()
            .workers(8)
            .queue_capacity(16)
            .build()
            .unwrap(),
    );
    pool.start().unwrap();
    let (gauge, bound) = (Arc::new(Gauge::default()), Arc::new(Bound::new(8)));
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..JOBS).map(|_| AtomicUsize::new(0)).collect());
    let producer_done = Gate::new();
    let producer = {
        let (pool, runs, gauge, bound) = (
            Arc::clone(&pool),
            Arc::clone(&runs),
            Arc::clone(&gauge),
            Arc::clone(&bound),
        );
        let done = producer_done.clone();
        H::executor().spawn(async move {
            for index in 0..JOBS {
                let job = measured(index, &runs, &gauge, &bound);
                pool.submit_detached(job).await.unwrap();
            }
            done.open();
        })
    };
    drop(producer);
    let reader = async {
        while !producer_done.is_open() {
            bound.check(&gauge, "a reader");
            let stats = pool.stats();
            assert!(
                stats.min_workers <= stats.workers
                    && stats.workers <= stats.max_workers
                    && stats.busy + stats.waiting_for_reader + stats.idle == stats.live_workers
                    && stats.live_workers <= stats.max_workers,
                "{stats:?}"
            );
            future::yield_now().await;
        }
    };
    let controller = async {
        let mut size = 8;
        for next in [2, 6, 1, 8, 3, 5, 1, 4, 8] {
            let started = pool.stats().started;
            if next > size {
                bound.set(next);
                pool.resize(next).unwrap();
            } else {
                pool.resize(next).unwrap();
                eventually(|| pool.stats().live_workers <= next).await;
                bound.set(next);
            }
            assert_eq!(pool.stats().workers, next);
            size = next;
            // Some jobs run at this size before the next change (unless they ran out).
            eventually(|| pool.stats().started >= started + 100 || producer_done.is_open()).await;
        }
    };
    future::zip(reader, controller).await;
    producer_done.wait().await;
    let report = pool.shutdown().await.unwrap();
    bound.assert_held();
    assert_adds_up(&report.stats);
    assert_eq!(report.stats.completed, JOBS as u64);
    for (index, runs) in runs.iter().enumerate() {
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "job {index} ran a wrong number of times"
        );
    }
}

/// A shrink while every worker is busy: the busy workers above the new size finish their
/// jobs and retire, so every job queued after the shrink runs on the seats kept, one at a
/// time. Growing back spawns the workers at once.
pub(crate) async fn a_shrink_retires_busy_workers_after_their_job<H: Harness>() {
    let pool = builder::<H, usize>().workers(4).build().unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(4)), Gate::new());
    let mut blockers = Vec::new();
    for _ in 0..4 {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        let job = job_fn("blocker", move |ctx| async move {
            started.count_down();
            gate.wait().await;
            Ok::<_, BoxError>(ctx.worker_id())
        });
        blockers.push(pool.submit(job).await.unwrap());
    }
    started.wait().await;
    pool.resize(1).unwrap();
    let stats = pool.stats();
    assert_eq!((stats.workers, stats.live_workers, stats.busy), (1, 4, 4));
    let gauge = Arc::new(Gauge::default());
    let mut after = Vec::new();
    for _ in 0..20 {
        let gauge = Arc::clone(&gauge);
        let job = job_fn("after the shrink", move |ctx| async move {
            let _inside = gauge.enter();
            future::yield_now().await;
            Ok::<_, BoxError>(ctx.worker_id())
        });
        after.push(pool.submit(job).await.unwrap());
    }
    gate.open();
    let mut seats: Vec<usize> = Vec::new();
    for handle in blockers {
        seats.push(handle.await.unwrap());
    }
    seats.sort_unstable();
    assert_eq!(seats, [0, 1, 2, 3]);
    for handle in after {
        assert_eq!(handle.await.unwrap(), 0, "only the seat kept runs new jobs");
    }
    assert_eq!(gauge.max(), 1);
    eventually(|| pool.stats().live_workers == 1).await;
    // Growing spawns at once: four jobs meet.
    pool.resize(4).unwrap();
    assert_eq!(pool.stats().live_workers, 4);
    let everyone_in = Arc::new(Latch::new(4));
    let mut met = Vec::new();
    for _ in 0..4 {
        let everyone_in = Arc::clone(&everyone_in);
        met.push(
            pool.submit(job_fn("meet", move |_ctx| async move {
                everyone_in.count_down();
                everyone_in.wait().await;
                Ok::<_, BoxError>(0)
            }))
            .await
            .unwrap(),
        );
    }
    for handle in met {
        handle.await.unwrap();
    }
    let report = pool.shutdown().await.unwrap();
    assert_adds_up(&report.stats);
    assert_eq!(report.stats.completed, 28);
}

/// Idle workers above the new size leave at once, without a job to wake them.
pub(crate) async fn a_shrink_retires_idle_workers_at_once<H: Harness>() {
    let pool = builder::<H, ()>().workers(6).build().unwrap();
    pool.start().unwrap();
    assert_eq!(pool.stats().live_workers, 6);
    pool.resize(2).unwrap();
    eventually(|| pool.stats().live_workers == 2).await;
    pool.resize(5).unwrap();
    pool.resize(3).unwrap();
    eventually(|| pool.stats().live_workers == 3).await;
    let stats = pool.shutdown().await.unwrap().stats;
    assert_eq!((stats.workers, stats.live_workers), (3, 0));
}

/// The typed errors, and a resize before `start` setting the size `start` uses.
pub(crate) async fn resize_errors_are_typed_and_change_nothing<H: Harness>() {
    let pool = builder::<H, ()>()
        .workers(2)
        .max_workers(6)
        .build()
        .unwrap();
    pool.resize(5).unwrap();
    let stats = pool.stats();
    assert_eq!(
        (stats.workers, stats.live_workers, stats.max_workers),
        (5, 0, 6)
    );
    pool.start().unwrap();
    assert_eq!(pool.stats().live_workers, 5);
    assert_eq!(pool.resize(0), Err(ResizeError::Zero));
    assert_eq!(
        pool.resize(7),
        Err(ResizeError::AboveMax {
            requested: 7,
            max: 6
        })
    );
    assert_eq!(pool.stats().workers, 5);
    pool.resize(6).unwrap();
    assert_eq!(pool.stats().live_workers, 6);
    pool.shutdown().await.unwrap();
    assert_eq!(pool.resize(3), Err(ResizeError::ShutDown));
    assert_eq!(pool.stats().workers, 6);
}

/// Under each shutdown mode: a shrink just before it leaves the queue to the workers kept,
/// which run it (graceful, or a deadline that is not reached) or hand it back (now); a resize
/// while it stops is refused and changes nothing.
pub(crate) async fn resize_under_each_shutdown_mode<H: Harness>() {
    for mode in 0..3 {
        let pool = builder::<H, ()>().workers(4).build().unwrap();
        pool.start().unwrap();
        let (started, gate) = (Arc::new(Latch::new(2)), Gate::new());
        for _ in 0..2 {
            pool.submit_detached(blocker(&started, &gate))
                .await
                .unwrap();
        }
        started.wait().await;
        let queued = Arc::new(AtomicUsize::new(0));
        for _ in 0..10 {
            let queued = Arc::clone(&queued);
            let job = job_fn("queued", move |_ctx| async move {
                queued.fetch_add(1, Ordering::SeqCst);
                Ok::<_, BoxError>(())
            });
            pool.submit_detached(job).await.unwrap();
        }
        pool.resize(1).unwrap();
        let stopping = async {
            match mode {
                0 => pool.shutdown().await,
                1 => pool.shutdown_now().await,
                _ => pool.shutdown_timeout(crate::testkit::CASE_DEADLINE).await,
            }
        };
        let meddler = async {
            while !pool.is_closed() {
                future::yield_now().await;
            }
            assert_eq!(pool.resize(4), Err(ResizeError::ShutDown));
            assert_eq!(pool.resize(1), Err(ResizeError::ShutDown));
            gate.open();
        };
        let (report, ()) = future::zip(stopping, meddler).await;
        let report = report.unwrap();
        assert_adds_up(&report.stats);
        assert_eq!(report.stats.workers, 1);
        let ran = queued.load(Ordering::SeqCst);
        if mode == 1 {
            assert_eq!(
                ran + report.unstarted.len(),
                10,
                "every queued job ran or came back"
            );
            assert_eq!(report.stats.not_started, report.unstarted.len() as u64);
        } else {
            assert_eq!((ran, report.stats.completed), (10, 12));
        }
    }
}

/// Resizers race each other, producers and a shutdown (now on even rounds, graceful on odd):
/// every resize is applied or refused as `ShutDown`, no more jobs than the largest size run
/// at once, every accepted job runs at most once and is run or handed back, and once the
/// resizers stop, the last resize is the size.
pub(crate) async fn concurrent_resizes_lose_nothing<H: Harness>() {
    const MAX: usize = 6;
    const JOBS: usize = 600;
    for round in 0..4 {
        let pool = Arc::new(
            builder::<H, ()>()
                .workers(MAX)
                .queue_capacity(8)
                .build()
                .unwrap(),
        );
        pool.start().unwrap();
        let (gauge, bound) = (Arc::new(Gauge::default()), Arc::new(Bound::new(MAX)));
        let runs: Arc<Vec<AtomicUsize>> =
            Arc::new((0..JOBS).map(|_| AtomicUsize::new(0)).collect());
        let (stop_resizing, resizers_done) = (Gate::new(), Arc::new(Latch::new(3)));
        for resizer in 0..3_usize {
            let (pool, stop, done) = (
                Arc::clone(&pool),
                stop_resizing.clone(),
                Arc::clone(&resizers_done),
            );
            drop(H::executor().spawn(async move {
                let mut next = resizer + round;
                while !stop.is_open() {
                    next = (next * 7 + 3) % MAX;
                    match pool.resize(next + 1) {
                        Ok(()) | Err(ResizeError::ShutDown) => {}
                        Err(refused) => panic!("a valid resize was refused: {refused}"),
                    }
                    future::yield_now().await;
                }
                done.count_down();
            }));
        }
        let accepted = Arc::new(AtomicUsize::new(0));
        let half_way = Arc::new(Latch::new(JOBS / 2));
        let producer = {
            let (pool, runs, gauge, bound) = (
                Arc::clone(&pool),
                Arc::clone(&runs),
                Arc::clone(&gauge),
                Arc::clone(&bound),
            );
            let (accepted, half_way) = (Arc::clone(&accepted), Arc::clone(&half_way));
            async move {
                for index in 0..JOBS {
                    let job = measured(index, &runs, &gauge, &bound);
                    if pool.submit_detached(job).await.is_err() {
                        break;
                    }
                    accepted.fetch_add(1, Ordering::SeqCst);
                    half_way.count_down();
                }
            }
        };
        let stopper = async {
            half_way.wait().await;
            if round % 2 == 0 {
                pool.shutdown_now().await.unwrap()
            } else {
                // The last resize wins once nobody else resizes.
                stop_resizing.open();
                resizers_done.wait().await;
                pool.resize(2).unwrap();
                eventually(|| pool.stats().live_workers == 2).await;
                assert_eq!(pool.stats().workers, 2);
                pool.shutdown().await.unwrap()
            }
        };
        let (report, ()) = future::zip(stopper, producer).await;
        stop_resizing.open();
        resizers_done.wait().await;
        bound.assert_held();
        assert_adds_up(&report.stats);
        let ran = runs
            .iter()
            .filter(|runs| runs.load(Ordering::SeqCst) > 0)
            .count();
        assert!(
            runs.iter().all(|runs| runs.load(Ordering::SeqCst) <= 1),
            "a job ran twice"
        );
        let accepted = accepted.load(Ordering::SeqCst);
        assert_eq!(ran + report.unstarted.len(), accepted, "a job was lost");
        if round % 2 == 1 {
            assert_eq!(ran, accepted, "a graceful shutdown runs every job");
        }
    }
}

/// A job that submits into its own full pool while a shrink retires the other worker is
/// never stranded: the retiring worker makes room before it leaves, or the submit is told
/// it would deadlock. Both interleavings are correct; a hang is not.
pub(crate) async fn a_shrink_never_strands_a_job_submitting_into_its_own_pool<H: Harness>() {
    for round in 0..8 {
        let pool = Arc::new(
            builder::<H, ()>()
                .workers(2)
                .queue_capacity(1)
                .build()
                .unwrap(),
        );
        pool.start().unwrap();
        let (started, go, release) = (Arc::new(Latch::new(2)), Gate::new(), Gate::new());
        let mut handles = Vec::new();
        for _ in 0..2 {
            let (started, go, release) = (Arc::clone(&started), go.clone(), release.clone());
            let own = Arc::clone(&pool);
            let job = job_fn("two roles", move |ctx| async move {
                started.count_down();
                if ctx.worker_id() == 0 {
                    go.wait().await;
                    match own
                        .submit_detached(job_fn("inner", |_ctx| async { Ok(()) }))
                        .await
                    {
                        Ok(_) => {}
                        Err(refused) => assert!(refused.is_would_deadlock(), "{refused}"),
                    }
                } else {
                    release.wait().await;
                }
                Ok::<_, BoxError>(())
            });
            handles.push(pool.submit(job).await.unwrap());
        }
        started.wait().await;
        // The queue is full, and only seat 0 is wanted.
        pool.submit_detached(job_fn("queued", |_ctx| async { Ok(()) }))
            .await
            .unwrap();
        pool.resize(1).unwrap();
        go.open();
        for _ in 0..round * 4 {
            future::yield_now().await;
        }
        release.open();
        for handle in handles {
            handle.await.unwrap();
        }
        let report = pool.shutdown().await.unwrap();
        assert_adds_up(&report.stats);
    }
}

/// `max_workers` below `workers` is a typed error at build.
pub(crate) async fn max_workers_below_workers_is_a_typed_error<H: Harness>() {
    let refused = builder::<H, ()>().workers(4).max_workers(3).build();
    assert_eq!(
        refused.unwrap_err(),
        crate::BuildError::MaxBelowWorkers { workers: 4, max: 3 }
    );
    let pool: WorkerPool<H::Executor, ()> = builder::<H, ()>().workers(4).build().unwrap();
    assert_eq!(pool.stats().max_workers, 4);
}
