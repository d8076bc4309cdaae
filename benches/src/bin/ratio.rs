//! ratio: the pool and its baselines run interleaved (A B B A ...), in one process, so that
//! the machine's swings hit both alike; prints the median of the per-pair ratios.
//!
//! `cargo run --release -p benches --bin ratio -- [--rounds 15] [--jobs 100000] [--json FILE]`
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::time::Instant;

use benches::criterion_support::{QUEUE, WORKERS};
use benches::jobs::Work;
use benches::median::median;
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend, workloads};

/// One runtime's measurements: jobs per second of each approach, per round.
struct Rounds {
    runtime: &'static str,
    pool: Vec<f64>,
    channel: Vec<f64>,
    spawn: Vec<f64>,
    handles: Vec<f64>,
    oneshot: Vec<f64>,
}

fn rate(jobs: usize, run: impl FnOnce()) -> f64 {
    let started = Instant::now();
    run();
    jobs as f64 / started.elapsed().as_secs_f64()
}

fn measure<B: Backend>(backend: &B, rounds: usize, jobs: usize) -> Rounds {
    let b = || backend.clone();
    let pool = || backend.run(workloads::pool(b(), Work::Noop, jobs, WORKERS, QUEUE));
    let channel = || backend.run(workloads::channel(b(), Work::Noop, jobs, WORKERS, QUEUE));
    let spawn = || backend.run(workloads::spawn_per_job(b(), Work::Noop, jobs));
    let handles = || {
        backend.run(workloads::pool_with_handles(
            b(),
            Work::Noop,
            jobs,
            WORKERS,
            QUEUE,
        ));
    };
    let oneshot = || {
        backend.run(workloads::channel_with_oneshots(
            b(),
            Work::Noop,
            jobs,
            WORKERS,
            QUEUE,
        ));
    };
    // Warm-up: threads, allocator and caches, for every approach.
    for run in [&pool as &dyn Fn(), &channel, &spawn, &handles, &oneshot] {
        run();
    }
    let mut measured = Rounds {
        runtime: B::NAME,
        pool: Vec::new(),
        channel: Vec::new(),
        spawn: Vec::new(),
        handles: Vec::new(),
        oneshot: Vec::new(),
    };
    for round in 0..rounds {
        // A B in even rounds, B A in odd ones, so that neither always goes first.
        let (a, b) = if round % 2 == 0 {
            (rate(jobs, pool), rate(jobs, channel))
        } else {
            let b = rate(jobs, channel);
            (rate(jobs, pool), b)
        };
        measured.pool.push(a);
        measured.channel.push(b);
        measured.spawn.push(rate(jobs, spawn));
        measured.handles.push(rate(jobs, handles));
        measured.oneshot.push(rate(jobs, oneshot));
    }
    measured
}

/// The median of `a[i] / b[i]`.
fn ratio(a: &[f64], b: &[f64]) -> f64 {
    let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    median(&ratios).unwrap_or(f64::NAN)
}

fn millions(rates: &[f64]) -> f64 {
    median(rates).unwrap_or(f64::NAN) / 1e6
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut jobs, mut json) = (15, 100_000, None);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--rounds" => rounds = value.parse().expect("--rounds takes a whole number"),
            "--jobs" => jobs = value.parse().expect("--jobs takes a whole number"),
            "--json" => json = Some(value),
            other => panic!("unknown flag {other}; flags: --rounds N, --jobs N, --json FILE"),
        }
    }
    println!("{rounds} interleaved rounds of {jobs} no-op jobs, {WORKERS} workers, queue {QUEUE}");
    let all = [
        measure(&TokioBackend::new(), rounds, jobs),
        measure(&AsyncStdBackend::new(), rounds, jobs),
        measure(&SmolBackend::new(), rounds, jobs),
    ];

    println!();
    println!(
        "| runtime | pool M jobs/s | channel M jobs/s | pool / channel | pool / spawn-per-job | handles M jobs/s | oneshot M jobs/s | handles / oneshot |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for r in &all {
        let row = format!(
            "{{\"runtime\":\"{}\",\"pool\":{:.3},\"channel\":{:.3},\"spawn_per_job\":{:.3},\"handles\":{:.3},\"oneshot\":{:.3},\"pool_over_channel\":{:.3},\"pool_over_spawn\":{:.3},\"handles_over_oneshot\":{:.3}}}",
            r.runtime,
            millions(&r.pool),
            millions(&r.channel),
            millions(&r.spawn),
            millions(&r.handles),
            millions(&r.oneshot),
            ratio(&r.pool, &r.channel),
            ratio(&r.pool, &r.spawn),
            ratio(&r.handles, &r.oneshot),
        );
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.2} | {:.2} | {:.2} |",
            r.runtime,
            millions(&r.pool),
            millions(&r.channel),
            ratio(&r.pool, &r.channel),
            ratio(&r.pool, &r.spawn),
            millions(&r.handles),
            millions(&r.oneshot),
            ratio(&r.handles, &r.oneshot),
        );
        rows.push(row);
    }
    if let Some(path) = json {
        let text = format!("[\n  {}\n]\n", rows.join(",\n  "));
        std::fs::write(&path, text).unwrap_or_else(|error| panic!("cannot write {path}: {error}"));
        println!("\nwrote {path}");
    }
}
