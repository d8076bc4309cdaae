//! ratio: the pool, its baselines and the peer crates run interleaved (every approach once
//! per round, in a rotating order), so that the machine's swings hit all alike; prints each
//! approach's median rate and the median of the per-round ratios of the pool to it.
//!
//! `cargo run --release -p benches --bin ratio -- [--processes 5] [--rounds 7] [--jobs 100000] [--json FILE] [--only pool-timed,channel]`
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::time::Instant;

use benches::criterion_support::{QUEUE, WORKERS};
use benches::jobs::Work;
use benches::median::median;
use benches::peers::{self, OrbSmol};
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend, workloads};

/// Named runs of `jobs` no-op jobs on one runtime.
type Approaches<'a> = Vec<(&'static str, Box<dyn Fn() + 'a>)>;

/// What every runtime runs: the pool three ways, the hand-written baselines, and the peers
/// that run on any runtime.
fn everywhere<B: Backend>(backend: &B, jobs: usize) -> Approaches<'_> {
    let b = move || backend.clone();
    let noop = Work::Noop;
    vec![
        (
            "pool",
            Box::new(move || backend.run(workloads::pool(b(), noop, jobs, WORKERS, QUEUE))),
        ),
        (
            "pool-timed",
            Box::new(move || backend.run(workloads::pool_timed(b(), jobs, WORKERS, QUEUE))),
        ),
        (
            "pool-closures",
            Box::new(move || {
                backend.run(workloads::pool_of_closures(b(), noop, jobs, WORKERS, QUEUE))
            }),
        ),
        (
            "pool-carrying",
            Box::new(move || {
                backend.run(workloads::pool_of_carrying(b(), noop, jobs, WORKERS, QUEUE))
            }),
        ),
        (
            "pool-handles",
            Box::new(move || {
                backend.run(workloads::pool_with_handles(
                    b(),
                    noop,
                    jobs,
                    WORKERS,
                    QUEUE,
                ))
            }),
        ),
        (
            "channel",
            Box::new(move || backend.run(workloads::channel(b(), noop, jobs, WORKERS, QUEUE))),
        ),
        (
            "channel-oneshot",
            Box::new(move || {
                backend.run(workloads::channel_with_oneshots(
                    b(),
                    noop,
                    jobs,
                    WORKERS,
                    QUEUE,
                ))
            }),
        ),
        (
            "spawn-per-job",
            Box::new(move || backend.run(backend.spawn_each(noop, jobs))),
        ),
        (
            "deadqueue",
            Box::new(move || backend.run(peers::deadqueue(b(), noop, jobs, WORKERS, QUEUE))),
        ),
    ]
}

fn tokio_only(backend: &TokioBackend, jobs: usize) -> Approaches<'_> {
    let noop = Work::Noop;
    let exec = || orb_tokio::TokioExec::new_with_handle(tokio::runtime::Handle::current());
    vec![
        (
            "orb-boxed",
            Box::new(move || {
                backend.run(async move {
                    peers::orb::<orb_tokio::TokioRT, _>(exec(), jobs, WORKERS, QUEUE, || {
                        peers::Boxed(noop.boxed())
                    })
                    .await;
                })
            }),
        ),
        (
            "orb-typed",
            Box::new(move || {
                backend.run(async move {
                    peers::orb::<orb_tokio::TokioRT, _>(exec(), jobs, WORKERS, QUEUE, || noop)
                        .await;
                })
            }),
        ),
        (
            "tokio-task-pool",
            Box::new(move || backend.run(peers::tokio_task_pool(noop, jobs, WORKERS))),
        ),
        (
            "joinset-semaphore",
            Box::new(move || backend.run(peers::join_set_semaphore(noop, jobs, WORKERS))),
        ),
        (
            "buffer-unordered (one task)",
            Box::new(move || backend.run(workloads::buffer_unordered(noop, jobs, WORKERS))),
        ),
    ]
}

fn smol_only(orb: &OrbSmol, jobs: usize) -> Approaches<'_> {
    let noop = Work::Noop;
    vec![
        (
            "orb-boxed",
            Box::new(move || {
                let exec = orb.exec();
                orb.run(async move {
                    peers::orb::<orb_smol::SmolRT, _>(exec, jobs, WORKERS, QUEUE, || {
                        peers::Boxed(noop.boxed())
                    })
                    .await;
                });
            }),
        ),
        (
            "orb-typed",
            Box::new(move || {
                let exec = orb.exec();
                orb.run(async move {
                    peers::orb::<orb_smol::SmolRT, _>(exec, jobs, WORKERS, QUEUE, || noop).await;
                });
            }),
        ),
    ]
}

/// Jobs per second of each approach, one entry per round, in the approaches' order.
fn measure(approaches: &Approaches<'_>, rounds: usize, jobs: usize) -> Vec<Vec<f64>> {
    let rate = |run: &dyn Fn()| {
        let started = Instant::now();
        run();
        jobs as f64 / started.elapsed().as_secs_f64()
    };
    // Warm-up: threads, allocator and caches, for every approach.
    for (_, run) in approaches {
        run();
    }
    let mut rates = vec![Vec::with_capacity(rounds); approaches.len()];
    // Each round runs every approach once, in an order rotated round by round, so that no
    // approach always follows the same one (an allocator or cache left warm or cold).
    for round in 0..rounds {
        for turn in 0..approaches.len() {
            let slot = (round + turn) % approaches.len();
            rates[slot].push(rate(&*approaches[slot].1));
        }
    }
    rates
}

/// Pool against bare channel, interleaved in child processes: the medians of per-round
/// ratios, on every runtime.
#[derive(clap::Parser)]
#[command(name = "ratio")]
struct Flags {
    /// Rounds per child process.
    #[arg(long, default_value_t = 7)]
    rounds: usize,
    /// Jobs per round.
    #[arg(long, default_value_t = 100_000)]
    jobs: usize,
    /// Child processes, one after another.
    #[arg(long, default_value_t = 5)]
    processes: usize,
    /// Also write the results to this file, as JSON.
    #[arg(long)]
    json: Option<String>,
    /// Only these approaches (comma-separated names, as the tables show them): for a quick
    /// before-and-after of one change. The pool is always run, as every ratio's numerator.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Measure in this process (what each child does).
    #[arg(long, hide = true)]
    child: bool,
}

fn flags() -> Flags {
    <Flags as clap::Parser>::parse()
}

/// A child measures every runtime and prints one line per runtime and approach:
/// `runtime<TAB>approach<TAB>rate rate ...` (jobs per second, one per round).
fn child(flags: &Flags) {
    let print = |runtime: &str, approaches: &Approaches<'_>| {
        let wanted = |name: &str| {
            name == "pool" || flags.only.is_empty() || flags.only.iter().any(|only| only == name)
        };
        let approaches: Approaches<'_> = approaches
            .iter()
            .filter(|(name, _)| wanted(name))
            .map(|(name, run)| (*name, Box::new(run) as Box<dyn Fn()>))
            .collect();
        let approaches = &approaches;
        let rates = measure(approaches, flags.rounds, flags.jobs);
        for ((name, _), rates) in approaches.iter().zip(rates) {
            let rates: Vec<String> = rates.iter().map(f64::to_string).collect();
            println!("{runtime}\t{name}\t{}", rates.join(" "));
        }
    };
    let tokio = TokioBackend::new();
    let mut approaches = everywhere(&tokio, flags.jobs);
    approaches.extend(tokio_only(&tokio, flags.jobs));
    print(TokioBackend::NAME, &approaches);
    drop(approaches);
    print(
        AsyncStdBackend::NAME,
        &everywhere(&AsyncStdBackend::new(), flags.jobs),
    );
    let (smol, orb) = (SmolBackend::new(), OrbSmol::new());
    let mut approaches = everywhere(&smol, flags.jobs);
    approaches.extend(smol_only(&orb, flags.jobs));
    print(SmolBackend::NAME, &approaches);
}

/// Every round's rate, per runtime, per approach, in the order first seen.
type Measured = Vec<(String, Vec<(String, Vec<f64>)>)>;

fn main() {
    let flags = flags();
    if flags.child {
        child(&flags);
        return;
    }
    println!(
        "{} processes x {} rounds of {} no-op jobs, {WORKERS} workers, queue {QUEUE}; medians",
        flags.processes, flags.rounds, flags.jobs
    );
    // Processes differ (thread placement, memory layout) more than rounds within one do, so
    // the rounds are spread over several processes, one after another.
    let me = std::env::current_exe().expect("the path of this binary");
    let mut all: Measured = Vec::new();
    for _ in 0..flags.processes {
        let mut child = std::process::Command::new(&me);
        child
            .args(["--child", "--rounds", &flags.rounds.to_string()])
            .args(["--jobs", &flags.jobs.to_string()]);
        if !flags.only.is_empty() {
            child.args(["--only", &flags.only.join(",")]);
        }
        let output = child.output().expect("a child measurement");
        assert!(output.status.success(), "a child failed: {output:?}");
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let [runtime, approach, rates] = line.split('\t').collect::<Vec<_>>()[..] else {
                continue;
            };
            let rates = rates
                .split(' ')
                .map(|rate| rate.parse().unwrap_or(f64::NAN));
            let index = match all.iter().position(|(name, _)| name == runtime) {
                Some(index) => index,
                None => {
                    all.push((runtime.to_owned(), Vec::new()));
                    all.len() - 1
                }
            };
            let approaches = &mut all[index].1;
            match approaches.iter_mut().find(|(name, _)| name == approach) {
                Some((_, all_rates)) => all_rates.extend(rates),
                None => approaches.push((approach.to_owned(), rates.collect())),
            }
        }
    }
    report(&all, flags.json.as_deref());
}

/// The median of `a[i] / b[i]`: rounds are paired, so a round the machine slowed down
/// slows both.
fn ratio(a: &[f64], b: &[f64]) -> f64 {
    let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    median(&ratios).unwrap_or(f64::NAN)
}

fn report(all: &Measured, json: Option<&str>) {
    let mut rows = Vec::new();
    for (runtime, approaches) in all {
        let rates: BTreeMap<&str, &[f64]> = approaches
            .iter()
            .map(|(name, rates)| (name.as_str(), rates.as_slice()))
            .collect();
        // An approach left out by `--only` has no rates, and its ratios read NaN.
        let rates_of = |name: &str| rates.get(name).copied().unwrap_or_default();
        let pool = rates_of("pool");
        println!("\n{runtime}\n\n| approach | M jobs/s | pool / it |\n|---|---|---|");
        for (name, rates) in approaches {
            let million = median(rates).unwrap_or(f64::NAN) / 1e6;
            let over = ratio(pool, rates);
            println!("| {name} | {million:.2} | {over:.2} |");
            rows.push(format!(
                "{{\"runtime\":\"{runtime}\",\"approach\":\"{name}\",\"m_jobs_per_s\":{million:.3},\"pool_over\":{over:.3}}}"
            ));
        }
        println!(
            "\ngoals: pool / channel {:.2} (>= 0.9), closures / struct jobs {:.2} (>= 0.95; {:.2} of struct jobs that carry as much), handles / oneshot {:.2} (>= 0.9); timed / untimed {:.2}",
            ratio(pool, rates_of("channel")),
            ratio(rates_of("pool-closures"), pool),
            ratio(rates_of("pool-closures"), rates_of("pool-carrying")),
            ratio(rates_of("pool-handles"), rates_of("channel-oneshot")),
            ratio(rates_of("pool-timed"), pool),
        );
        if let Some(orb) = rates.get("orb-boxed") {
            println!("        pool / orb-boxed {:.2} (>= 1.0)", ratio(pool, orb));
        }
    }
    if let Some(path) = json {
        let text = format!("[\n  {}\n]\n", rows.join(",\n  "));
        std::fs::write(path, text).unwrap_or_else(|error| panic!("cannot write {path}: {error}"));
        println!("\nwrote {path}");
    }
}
