//! memory: peak heap bytes (a counting allocator, deterministic) and peak RSS, for M jobs that
//! each sleep 1 ms: the pool (1,000 workers, queue 10,000) against spawning all M at once, on
//! every runtime.
//!
//! `cargo run --release -p benches --bin memory -- [--jobs 100000,1000000]`
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use benches::counting_alloc::{self, CountingAlloc};
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend};
use pool_core::{BoxError, Executor, JobContext, JobProcessor, WorkerPool, async_trait};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const WORKERS: usize = 1_000;
const QUEUE: usize = 10_000;
const NAP: Duration = Duration::from_millis(1);

/// A job that sleeps on its runtime's timer.
struct Nap<E>(E);

#[async_trait]
impl<E: Executor + Clone> JobProcessor for Nap<E> {
    type Output = ();

    fn name(&self) -> &str {
        "nap"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.0.sleep(NAP).await;
        Ok(())
    }
}

async fn pool<B: Backend>(backend: B, jobs: usize) {
    let pool = WorkerPool::<B::Executor>::with_executor(backend.executor())
        .workers(WORKERS)
        .queue_capacity(QUEUE)
        .build()
        .expect("a valid pool");
    pool.start().expect("a fresh pool starts");
    for _ in 0..jobs {
        if pool.submit_detached(Nap(backend.executor())).await.is_err() {
            unreachable!("the pool is open");
        }
    }
    let report = pool.shutdown().await.expect("the first shutdown");
    assert_eq!(report.stats.completed, jobs as u64);
}

async fn spawn_all<B: Backend>(backend: B, jobs: usize) {
    let executor = backend.executor();
    let tasks: Vec<_> = (0..jobs)
        .map(|_| {
            let executor = executor.clone();
            backend.spawn(async move { executor.sleep(NAP).await })
        })
        .collect();
    for task in tasks {
        task.await;
    }
}

/// Peak RSS since the last reset, from the kernel.
fn peak_rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Starts a new peak RSS from the current one (Linux: `5` in `clear_refs`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Measured {
    heap: usize,
    rss: Option<usize>,
    seconds: f64,
}

fn measure(run: impl FnOnce()) -> Measured {
    reset_peak_rss();
    let base = counting_alloc::live_bytes();
    counting_alloc::reset_peak();
    let started = Instant::now();
    run();
    Measured {
        heap: counting_alloc::peak_bytes() - base,
        rss: peak_rss_bytes(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn mib(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// Measures one approach on one runtime, in this process, and prints its row.
fn row<B: Backend>(backend: &B, approach: &str, jobs: usize) {
    // Warm-up: the runtime's threads and timer exist before the measurement.
    backend.run(pool(backend.clone(), 1_000));
    let result = match approach {
        "pool" => measure(|| backend.run(pool(backend.clone(), jobs))),
        "spawn-all" => measure(|| backend.run(spawn_all(backend.clone(), jobs))),
        other => panic!("unknown approach {other}"),
    };
    println!(
        "| {} | {approach} | {jobs} | {} | {:.0} | {} | {:.2} |",
        B::NAME,
        mib(result.heap),
        result.heap as f64 / jobs as f64,
        result.rss.map_or_else(|| "n/a".to_owned(), mib),
        result.seconds,
    );
}

/// Peak heap and RSS of a pool against spawning every job, one child process per row.
#[derive(clap::Parser)]
#[command(name = "memory")]
struct Flags {
    /// Job counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [100_000_usize, 1_000_000])]
    jobs: Vec<usize>,
    /// Measure one row in this process: RUNTIME APPROACH JOBS (what each child does).
    #[arg(long, hide = true, num_args = 3, value_names = ["RUNTIME", "APPROACH", "JOBS"])]
    one: Option<Vec<String>>,
}

fn main() {
    let flags = <Flags as clap::Parser>::parse();
    // A child process measures one row, so that no measurement inherits another's RSS.
    if let Some([runtime, approach, jobs]) = flags.one.as_deref() {
        let jobs = jobs.parse().expect("a job count");
        match runtime.as_str() {
            "tokio" => row(&TokioBackend::new(), approach, jobs),
            "async-std" => row(&AsyncStdBackend::new(), approach, jobs),
            "smol" => row(&SmolBackend::new(), approach, jobs),
            other => panic!("unknown runtime {other}"),
        }
        return;
    }
    let sizes = flags.jobs;
    println!("jobs sleep {NAP:?}; pool: {WORKERS} workers, queue {QUEUE}; one process per row");
    println!();
    println!(
        "| runtime | approach | jobs | peak heap MiB | heap bytes/job | peak RSS MiB | seconds |"
    );
    println!("|---|---|---|---|---|---|---|");
    let me = std::env::current_exe().expect("the path of this binary");
    for runtime in ["tokio", "async-std", "smol"] {
        for &jobs in &sizes {
            for approach in ["pool", "spawn-all"] {
                let status = std::process::Command::new(&me)
                    .args(["--one", runtime, approach, &jobs.to_string()])
                    .status()
                    .expect("a child measurement");
                assert!(status.success(), "{runtime} {approach} {jobs} failed");
            }
        }
    }
}
