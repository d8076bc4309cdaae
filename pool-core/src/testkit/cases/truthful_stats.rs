//! `stats()` read by tasks racing producers, workers and a shutdown: every read holds the
//! rules `PoolStats` states, not only the final one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_lite::future;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Gate, Harness, Latch, Tagged, blocker, builder, noop};
use crate::{BoxError, Executor, PoolStats, WorkerPool, job_fn};

const PRODUCERS: u64 = 4;
const READERS: usize = 2;

/// The counters that must never go down, by name.
fn counters(stats: &PoolStats) -> [(&'static str, u64); 8] {
    [
        ("submitted", stats.submitted),
        ("started", stats.started),
        ("completed", stats.completed),
        ("failed", stats.failed),
        ("panicked", stats.panicked),
        ("timed_out", stats.timed_out),
        ("aborted", stats.aborted),
        ("not_started", stats.not_started),
    ]
}

/// Reads the stats in a loop until `done` opens, and checks each read against the rules and
/// against the read before it. Returns the number of reads, or the first broken rule.
async fn read_and_check<E: Executor>(
    pool: Arc<WorkerPool<E, ()>>,
    accepted: Arc<AtomicU64>,
    done: Gate,
) -> Result<u64, String> {
    let mut previous = PoolStats::default();
    let mut reads = 0_u64;
    let mut stopped_at: Option<PoolStats> = None;
    let mut after_stop = 0;
    loop {
        let finishing = done.is_open();
        let accepted_before = accepted.load(Ordering::Acquire);
        let stats = pool.stats();
        let accepted_after = accepted.load(Ordering::Acquire);
        reads += 1;
        for ((name, now), (_, before)) in counters(&stats).into_iter().zip(counters(&previous)) {
            if now < before {
                return Err(format!(
                    "{name} went down from {before} to {now}: {stats:?}"
                ));
            }
        }
        if stats.busy + stats.waiting_for_reader + stats.idle != stats.live_workers
            || stats.live_workers > stats.max_workers
            || stats.busy > stats.workers
        {
            return Err(format!("more workers than the pool has: {stats:?}"));
        }
        // Producers count a job after `submit` returned, so after the pool counted it; each
        // may be between the two.
        if stats.submitted < accepted_before || stats.submitted > accepted_after + PRODUCERS {
            return Err(format!(
                "submitted {} while producers saw {accepted_before}..{accepted_after} accepted",
                stats.submitted
            ));
        }
        previous = stats;
        // Read after the shutdown returned: final, and the same at every read.
        if finishing {
            match stopped_at {
                None => stopped_at = Some(stats),
                Some(last) if last != stats => {
                    return Err(format!(
                        "stats changed after the stop: {last:?} -> {stats:?}"
                    ));
                }
                Some(_) => after_stop += 1,
            }
            if after_stop == 3 {
                return Ok(reads);
            }
        }
        future::yield_now().await;
    }
}

/// Readers loop over `stats()` while producers submit (waiting and not, some refused as
/// full) into a small queue, and a shutdown (now, then graceful) stops the pool under them.
pub(crate) async fn stats_hold_their_rules_at_every_read<H: Harness>() {
    for round in 0..4 {
        // One worker first: the one most easily caught running two jobs at once.
        let pool = Arc::new(
            builder::<H, ()>()
                .workers(1 + round / 2)
                .queue_capacity(4)
                .build()
                .unwrap(),
        );
        pool.start().unwrap();
        let executor = H::executor();
        let accepted = Arc::new(AtomicU64::new(0));
        let under_way = Arc::new(Latch::new(20_000));
        let done = Gate::new();
        let (reports_tx, reports_rx) = async_channel::unbounded();
        for _ in 0..READERS {
            let (pool, accepted, done) = (Arc::clone(&pool), Arc::clone(&accepted), done.clone());
            let reports_tx = reports_tx.clone();
            drop(executor.spawn(async move {
                let _ = reports_tx
                    .send(read_and_check(pool, accepted, done).await)
                    .await;
            }));
        }
        let (producers_tx, producers_rx) = async_channel::unbounded::<()>();
        for producer in 0..PRODUCERS {
            let (pool, accepted) = (Arc::clone(&pool), Arc::clone(&accepted));
            let (under_way, producers_tx) = (Arc::clone(&under_way), producers_tx.clone());
            drop(executor.spawn(async move {
                for n in 0_u64.. {
                    let job = job_fn("maybe-yields", move |_ctx| async move {
                        if n % 3 == 0 {
                            future::yield_now().await;
                        }
                        Ok::<_, BoxError>(())
                    });
                    let taken = if (producer + n) % 2 == 0 {
                        pool.submit(job).await.is_ok()
                    } else {
                        match pool.try_submit(job) {
                            Ok(_) => true,
                            Err(refused) if refused.is_full() => {
                                future::yield_now().await;
                                continue;
                            }
                            Err(_) => false,
                        }
                    };
                    if !taken {
                        break;
                    }
                    accepted.fetch_add(1, Ordering::AcqRel);
                    under_way.count_down();
                }
                drop(producers_tx);
            }));
        }
        drop((reports_tx, producers_tx));
        under_way.wait().await;
        let report = if round % 2 == 0 {
            pool.shutdown_now().await.unwrap()
        } else {
            pool.shutdown().await.unwrap()
        };
        // Every producer has learnt that the pool is closed.
        let _ = producers_rx.recv().await;
        done.open();
        while let Ok(read) = reports_rx.recv().await {
            let reads = read.unwrap_or_else(|broken| panic!("round {round}: {broken}"));
            assert!(reads > 0);
        }
        assert_adds_up(&report.stats);
        assert_eq!(report.stats.submitted, accepted.load(Ordering::Acquire));
        assert_eq!(pool.stats(), report.stats, "the report is the final word");
    }
}

/// `submitted` counts a job once it is in the queue: not when `try_submit` finds the queue
/// full, nor while a `submit` waits for room.
pub(crate) async fn submitted_counts_only_accepted_jobs<H: Harness>() {
    let pool = builder::<H, ()>()
        .workers(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), Gate::new());
    let running = pool.submit(blocker(&started, &gate)).await.unwrap();
    started.wait().await;
    let queued = pool.submit(noop()).await.unwrap();
    assert_eq!(pool.stats().submitted, 2);

    assert!(pool.try_submit(Tagged::new(3)).unwrap_err().is_full());
    assert_eq!(
        pool.stats().submitted,
        2,
        "a job refused as full is not counted"
    );

    let mut waiting = Box::pin(pool.submit(Tagged::new(4)));
    assert!(future::poll_once(&mut waiting).await.is_none());
    assert_eq!(
        pool.stats().submitted,
        2,
        "a submit waiting for room is not counted"
    );
    assert_eq!(pool.stats().busy, 1);

    gate.open();
    let last = waiting.await.unwrap();
    for handle in [running, queued, last] {
        handle.await.unwrap();
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.submitted, 3);
    assert_adds_up(&report.stats);
}
