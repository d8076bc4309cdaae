//! Jobs that block their thread (which async jobs should not do) and the promises that must
//! hold anyway.

use std::sync::Arc;
use std::time::Duration;

use futures_lite::future;

use crate::testkit::cases::assert_adds_up;
use crate::testkit::{Harness, Latch, Tagged, ThreadGate, builder};
use crate::{BoxError, JobProcessor, job_fn};

/// A job that blocks its thread until `gate` opens.
fn blocks_its_thread(started: &Arc<Latch>, gate: &ThreadGate) -> impl JobProcessor<Output = ()> {
    let (started, gate) = (Arc::clone(started), gate.clone());
    job_fn("blocks", move |_ctx| {
        started.count_down();
        gate.wait();
        std::future::ready(Ok::<_, BoxError>(()))
    })
}

/// Jobs that block every thread of the runtime do not stop a shutdown deadline from firing:
/// it fires on every runtime (tokio's own timers would not, with its threads blocked), cancels
/// the pool, and the shutdown returns once the blocking calls do.
pub(crate) async fn a_shutdown_deadline_fires_while_jobs_block_their_threads<H: Harness>() {
    const BLOCKING: usize = 2;
    const QUEUED: u64 = 5;
    let pool = builder::<H, ()>()
        .workers(BLOCKING)
        .shutdown_grace(Duration::from_secs(5))
        .build()
        .unwrap();
    pool.start().unwrap();
    let (started, gate) = (Arc::new(Latch::new(1)), ThreadGate::default());
    for _ in 0..BLOCKING {
        pool.submit_detached(blocks_its_thread(&started, &gate))
            .await
            .unwrap();
    }
    for tag in 0..QUEUED {
        pool.submit_detached(Tagged::new(tag)).await.unwrap();
    }
    // At least one job blocks its thread (a runtime with one thread runs only one).
    started.wait().await;
    // The blocking calls return once the deadline has cancelled the pool: only a deadline
    // that fires can let them go.
    let token = pool.cancellation_token().clone();
    let releaser = gate.clone();
    let watcher = std::thread::spawn(move || {
        future::block_on(token.cancelled());
        releaser.open();
    });

    let report = pool
        .shutdown_timeout(Duration::from_millis(20))
        .await
        .unwrap();

    watcher.join().unwrap();
    let stats = report.stats;
    assert_adds_up(&stats);
    assert!(stats.completed >= 1, "{stats:?}");
    assert_eq!(
        stats.completed + stats.not_started,
        BLOCKING as u64 + QUEUED
    );
}
