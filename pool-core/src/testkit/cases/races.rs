//! Many producers against a pool that stops under them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::testkit::{CountingExecutor, Harness, Latch, builder};
use crate::{BoxError, Executor, JobErrorKind, WorkerPool, job_fn};

/// Producers submit from their own tasks while another task shuts the pool down (the race
/// Go pools got wrong: pond's "submit while stopping", gammazero's stop race). Every job is
/// either refused (handed back to its producer) or accepted and ends in one outcome.
pub(crate) async fn submit_from_many_tasks_while_shutting_down<H: Harness>() {
    const PRODUCERS: usize = 6;
    for round in 0..4 {
        let pool = Arc::new(
            builder::<H, ()>()
                .workers(3)
                .queue_capacity(16)
                .build()
                .unwrap(),
        );
        pool.start().unwrap();
        let executor = H::executor();
        let (done_tx, done_rx) = async_channel::unbounded();
        let ran = Arc::new(AtomicUsize::new(0));
        let under_way = Arc::new(Latch::new(200));
        for _ in 0..PRODUCERS {
            let (pool, done_tx, ran) = (Arc::clone(&pool), done_tx.clone(), Arc::clone(&ran));
            let under_way = Arc::clone(&under_way);
            drop(executor.spawn(async move {
                let (mut accepted, mut refused) = (0_u64, 0_u64);
                loop {
                    let ran = Arc::clone(&ran);
                    let job = job_fn("race", move |_ctx| {
                        ran.fetch_add(1, Ordering::SeqCst);
                        std::future::ready(Ok::<_, BoxError>(()))
                    });
                    match pool.submit_detached(job).await {
                        Ok(_) => {
                            accepted += 1;
                            under_way.count_down();
                        }
                        Err(refusal) => {
                            assert!(refusal.is_closed(), "only a closed pool refuses them");
                            refused += 1;
                            break;
                        }
                    }
                }
                let _ = done_tx.send((accepted, refused)).await;
            }));
        }
        drop(done_tx);
        // Let the producers get going, then stop: now on even rounds, gracefully on odd ones.
        under_way.wait().await;
        let report = if round % 2 == 0 {
            pool.shutdown_now().await.unwrap()
        } else {
            pool.shutdown().await.unwrap()
        };
        let (mut accepted, mut refused) = (0, 0);
        while let Ok((a, r)) = done_rx.recv().await {
            accepted += a;
            refused += r;
        }
        let stats = report.stats;
        assert_eq!(
            refused, PRODUCERS as u64,
            "each producer stopped at its first refusal"
        );
        assert_eq!(stats.submitted, accepted, "{stats:?}");
        assert_eq!(stats.submitted, stats.finished(), "{stats:?}");
        assert_eq!(stats.completed, ran.load(Ordering::SeqCst) as u64);
        assert_eq!(report.unstarted.len() as u64, stats.not_started);
    }
}

/// 8 producers × 50,000 jobs with random outcomes, and a `shutdown_now` at a random moment,
/// repeated: the books balance every time, no job runs twice, and no task is left behind.
pub(crate) async fn stress_many_producers_and_a_concurrent_shutdown_now<H: Harness>() {
    const PRODUCERS: u64 = 8;
    const JOBS: u64 = 50_000;
    let mut seed = stress_seed();
    for _ in 0..2 {
        let executor = CountingExecutor::new(H::executor());
        let pool = Arc::new(
            WorkerPool::<_, u64>::with_executor(executor.clone())
                .workers(8)
                .queue_capacity(256)
                .build()
                .unwrap(),
        );
        pool.start().unwrap();
        let runs = Arc::new(
            (0..PRODUCERS * JOBS)
                .map(|_| AtomicUsize::new(0))
                .collect::<Vec<_>>(),
        );
        // Stop once a random share of the jobs is in: anywhere from at once to near the end.
        let stop_after = Arc::new(Latch::new((next(&mut seed) % (PRODUCERS * JOBS)) as usize));
        let (done_tx, done_rx) = async_channel::unbounded();
        for producer in 0..PRODUCERS {
            let (pool, runs, done_tx) = (Arc::clone(&pool), Arc::clone(&runs), done_tx.clone());
            let stop_after = Arc::clone(&stop_after);
            let mut seed = next(&mut seed);
            drop(H::executor().spawn(async move {
                let mut accepted = Vec::new();
                for n in 0..JOBS {
                    let index = producer * JOBS + n;
                    let fate = next(&mut seed) % 3;
                    let runs = Arc::clone(&runs);
                    let job = job_fn("stress", move |_ctx| {
                        runs[index as usize].fetch_add(1, Ordering::SeqCst);
                        std::future::ready(match fate {
                            0 => Ok(index),
                            1 => Err(BoxError::from("no")),
                            _ => Ok(index),
                        })
                    });
                    match pool.submit(job).await {
                        Ok(handle) => {
                            accepted.push(handle);
                            stop_after.count_down();
                        }
                        Err(_) => break,
                    }
                }
                let mut outcomes = [0_u64; 3];
                for handle in accepted {
                    match handle.await {
                        Ok(_) => outcomes[0] += 1,
                        Err(error) if error.kind() == JobErrorKind::NotStarted => outcomes[2] += 1,
                        Err(_) => outcomes[1] += 1,
                    }
                }
                let _ = done_tx.send(outcomes).await;
            }));
        }
        drop(done_tx);
        stop_after.wait().await;
        let report = pool.shutdown_now().await.unwrap();
        let mut outcomes = [0_u64; 3];
        while let Ok(from_one) = done_rx.recv().await {
            for (total, one) in outcomes.iter_mut().zip(from_one) {
                *total += one;
            }
        }
        let stats = report.stats;
        eprintln!("stress round: {stats:?}");
        assert_eq!(stats.submitted, outcomes.iter().sum::<u64>(), "{stats:?}");
        assert_eq!(stats.submitted, stats.finished(), "{stats:?}");
        assert_eq!(
            (stats.completed, stats.failed),
            (outcomes[0], outcomes[1]),
            "{stats:?}"
        );
        assert_eq!(stats.not_started, outcomes[2]);
        assert!(
            runs.iter().all(|count| count.load(Ordering::SeqCst) <= 1),
            "a job ran twice"
        );
        let ran: u64 = runs
            .iter()
            .map(|count| count.load(Ordering::SeqCst) as u64)
            .sum();
        assert_eq!(ran, stats.started);
        drop(report);
        drop(pool);
        executor.all_finished().await;
        assert_eq!(executor.spawned(), 8);
    }
}

/// A seed from `POOL_STRESS_SEED`, or from the clock; printed, so that a failure can be
/// replayed with `POOL_STRESS_SEED=<seed> cargo test stress`.
fn stress_seed() -> u64 {
    let seed = std::env::var("POOL_STRESS_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |since| since.as_nanos() as u64)
        })
        | 1;
    eprintln!("stress seed: {seed} (replay with POOL_STRESS_SEED={seed})");
    seed
}

/// xorshift64: small, deterministic for a seed, and enough to mix the outcomes.
fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}
