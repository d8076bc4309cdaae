//! resize: what a resize under load does to throughput, on every runtime.
//!
//! Each job sleeps 1 ms on the runtime's timer, so a pool's rate follows its size rather than
//! the machine's two cores. A producer keeps the queue full. Each scenario measures the jobs
//! completed in a window of `--seconds`:
//!
//! - `fixed-small` / `fixed-large`: a pool of 4 / 16 workers, as it was built;
//! - `shrinking`: 16 workers, resized to 4 as the window opens;
//! - `growing`: 4 workers, resized to 16 as the window opens;
//! - `oscillating`: 16 workers, resized between 4 and 16 every 20 ms through the window.
//!
//! Rounds interleave the scenarios; the table gives median rates and the median of per-round
//! ratios. The goal: a pool being resized never runs slower than its smaller size.
//!
//! `cargo run --release -p benches --bin resize -- [--rounds 5] [--seconds 0.5]`
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use benches::median::median;
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend};
use pool_core::{Executor, WorkerPool, job_fn};

const SMALL: usize = 4;
const LARGE: usize = 16;
const JOB: Duration = Duration::from_millis(1);
const WARM_UP: Duration = Duration::from_millis(200);
const TOGGLE_EVERY: Duration = Duration::from_millis(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    FixedSmall,
    FixedLarge,
    Shrinking,
    Growing,
    Oscillating,
}

const SCENARIOS: [Scenario; 5] = [
    Scenario::FixedSmall,
    Scenario::FixedLarge,
    Scenario::Shrinking,
    Scenario::Growing,
    Scenario::Oscillating,
];

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::FixedSmall => "fixed-small",
            Self::FixedLarge => "fixed-large",
            Self::Shrinking => "shrinking",
            Self::Growing => "growing",
            Self::Oscillating => "oscillating",
        }
    }

    fn starting_size(self) -> usize {
        match self {
            Self::FixedSmall | Self::Growing => SMALL,
            Self::FixedLarge | Self::Shrinking | Self::Oscillating => LARGE,
        }
    }
}

/// Jobs completed per second in a window of `window`, under `scenario`.
async fn measure<E: Executor + Clone>(executor: E, scenario: Scenario, window: Duration) -> f64 {
    let pool = WorkerPool::<E>::with_executor(executor.clone())
        .workers(scenario.starting_size())
        .max_workers(LARGE)
        .queue_capacity(4 * LARGE)
        .build()
        .expect("a valid pool");
    pool.start().expect("a pool starts once");
    let stop = Arc::new(AtomicBool::new(false));
    let producing = {
        let (pool, stop, executor) = (pool.clone(), Arc::clone(&stop), executor.clone());
        async move {
            while !stop.load(Relaxed) {
                let executor = executor.clone();
                let job = job_fn("sleep", move |_ctx| async move {
                    executor.sleep(JOB).await;
                    Ok(())
                });
                if pool.submit_detached(job).await.is_err() {
                    break;
                }
            }
        }
    };
    let measuring = async {
        executor.sleep(WARM_UP).await;
        let (before, opened) = (pool.stats().completed, Instant::now());
        match scenario {
            Scenario::FixedSmall | Scenario::FixedLarge => executor.sleep(window).await,
            Scenario::Shrinking => {
                pool.resize(SMALL).expect("a valid size");
                executor.sleep(window).await;
            }
            Scenario::Growing => {
                pool.resize(LARGE).expect("a valid size");
                executor.sleep(window).await;
            }
            Scenario::Oscillating => {
                let mut small = true;
                while opened.elapsed() < window {
                    pool.resize(if small { SMALL } else { LARGE })
                        .expect("a valid size");
                    small = !small;
                    executor.sleep(TOGGLE_EVERY).await;
                }
            }
        }
        let rate = (pool.stats().completed - before) as f64 / opened.elapsed().as_secs_f64();
        stop.store(true, Relaxed);
        rate
    };
    let (rate, ()) = futures::future::join(measuring, producing).await;
    pool.shutdown_now().await.expect("shut down once");
    rate
}

/// Per scenario, the rate of each round.
fn rounds_on<B: Backend>(backend: &B, rounds: usize, window: Duration) -> Vec<Vec<f64>> {
    let mut rates = vec![Vec::new(); SCENARIOS.len()];
    for round in 0..rounds {
        // A rotating order, so that no scenario always runs first (or last) in a round.
        for offset in 0..SCENARIOS.len() {
            let index = (round + offset) % SCENARIOS.len();
            let executor = backend.executor();
            let rate = backend.run(measure(executor, SCENARIOS[index], window));
            rates[index].push(rate);
        }
    }
    rates
}

fn report(runtime: &str, rates: &[Vec<f64>]) {
    let at = |scenario: Scenario| &rates[SCENARIOS.iter().position(|&s| s == scenario).unwrap()];
    let ratio = |over: Scenario, under: Scenario| {
        let ratios: Vec<f64> = at(over)
            .iter()
            .zip(at(under))
            .map(|(over, under)| over / under)
            .collect();
        median(&ratios).unwrap_or(f64::NAN)
    };
    println!("{runtime}");
    for scenario in SCENARIOS {
        println!(
            "  {:<12} {:>9.0} jobs/s",
            scenario.name(),
            median(at(scenario)).unwrap_or(f64::NAN)
        );
    }
    let shrinking = ratio(Scenario::Shrinking, Scenario::FixedSmall);
    let oscillating = ratio(Scenario::Oscillating, Scenario::FixedSmall);
    let growing = ratio(Scenario::Growing, Scenario::FixedLarge);
    println!("  shrinking / fixed-small   {shrinking:.2}  (goal: 1 or more, within the noise)");
    println!("  oscillating / fixed-small {oscillating:.2}  (goal: 1 or more, within the noise)");
    println!("  growing / fixed-large     {growing:.2}  (reaches the larger size's pace)");
}

/// Throughput while a pool is resized under load, against pools fixed at each size.
#[derive(clap::Parser)]
#[command(name = "resize")]
struct Flags {
    /// Interleaved rounds.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds per measured window.
    #[arg(long, default_value_t = 0.5)]
    seconds: f64,
}

fn main() {
    let Flags { rounds, seconds } = <Flags as clap::Parser>::parse();
    let window = Duration::from_secs_f64(seconds);
    println!(
        "resize under load: jobs sleep {JOB:?}, sizes {SMALL} and {LARGE}, {rounds} rounds of {seconds} s windows"
    );
    report(
        TokioBackend::NAME,
        &rounds_on(&TokioBackend::new(), rounds, window),
    );
    report(
        AsyncStdBackend::NAME,
        &rounds_on(&AsyncStdBackend::new(), rounds, window),
    );
    report(
        SmolBackend::NAME,
        &rounds_on(&SmolBackend::new(), rounds, window),
    );
}
