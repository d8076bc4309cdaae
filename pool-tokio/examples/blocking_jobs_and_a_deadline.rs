//! What a shutdown deadline means when async jobs block their threads (which they should
//! not): 40 jobs that each block for a second, on a runtime of 2 threads, then
//! `shutdown_timeout(100 ms)`. The deadline fires on time even though both runtime threads
//! are blocked; the two jobs already running finish their blocking call (no pool can stop a
//! blocked thread), and the other 38 come back unstarted.
//!
//! `cargo run --release -p pool-tokio --example blocking_jobs_and_a_deadline`
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use pool_tokio::{BoxError, WorkerPool, job_fn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let pool = WorkerPool::<()>::builder()
            .workers(2)
            .queue_capacity(40)
            .shutdown_grace(Duration::from_millis(100))
            .build()?;
        pool.start()?;
        for _ in 0..40 {
            pool.submit_detached(job_fn("blocks", |_ctx| async {
                std::thread::sleep(Duration::from_secs(1)); // don't: see blocking jobs
                Ok::<_, BoxError>(())
            }))
            .await?;
        }
        let asked = Instant::now();
        let report = pool.shutdown_timeout(Duration::from_millis(100)).await?;
        let stats = report.stats;
        println!(
            "returned after {:.2} s: {} completed, {} handed back unstarted",
            asked.elapsed().as_secs_f64(),
            stats.completed,
            report.unstarted.len()
        );
        assert_eq!(stats.completed + stats.not_started, 40);
        Ok(())
    })
}
