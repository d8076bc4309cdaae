//! ratio: the pool and its baselines run interleaved (every approach once per round, in a
//! rotating order), in one process, so that the machine's swings hit all alike; prints the
//! median of the per-round ratios.
//!
//! `cargo run --release -p benches --bin ratio -- [--processes 5] [--rounds 7] [--jobs 100000] [--json FILE]`
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

fn rate(jobs: usize, run: &dyn Fn()) -> f64 {
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
    // Each round runs every approach once, in an order rotated round by round, so that no
    // approach always follows the same one (an allocator or cache left warm or cold).
    let approaches: [(&dyn Fn(), usize); 5] = [
        (&pool, 0),
        (&channel, 1),
        (&spawn, 2),
        (&handles, 3),
        (&oneshot, 4),
    ];
    for round in 0..rounds {
        let mut rates = [0.0; 5];
        for turn in 0..approaches.len() {
            let (run, slot) = approaches[(round + turn) % approaches.len()];
            rates[slot] = rate(jobs, run);
        }
        measured.pool.push(rates[0]);
        measured.channel.push(rates[1]);
        measured.spawn.push(rates[2]);
        measured.handles.push(rates[3]);
        measured.oneshot.push(rates[4]);
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

/// Parses `--flag value` pairs.
struct Flags {
    rounds: usize,
    jobs: usize,
    processes: usize,
    json: Option<String>,
    child: bool,
}

fn flags() -> Flags {
    let mut args = std::env::args().skip(1);
    let mut flags = Flags {
        rounds: 7,
        jobs: 100_000,
        processes: 5,
        json: None,
        child: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--child" {
            flags.child = true;
            continue;
        }
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{flag} takes a whole number"))
        };
        match flag.as_str() {
            "--rounds" => flags.rounds = number(),
            "--jobs" => flags.jobs = number(),
            "--processes" => flags.processes = number(),
            "--json" => flags.json = Some(value),
            other => panic!(
                "unknown flag {other}; flags: --processes N, --rounds N, --jobs N, --json FILE"
            ),
        }
    }
    flags
}

/// A child measures every runtime and prints one line per round and runtime:
/// `runtime pool channel spawn handles oneshot` (jobs per second).
fn child(flags: &Flags) {
    let all = [
        measure(&TokioBackend::new(), flags.rounds, flags.jobs),
        measure(&AsyncStdBackend::new(), flags.rounds, flags.jobs),
        measure(&SmolBackend::new(), flags.rounds, flags.jobs),
    ];
    for r in &all {
        for i in 0..r.pool.len() {
            println!(
                "{} {} {} {} {} {}",
                r.runtime, r.pool[i], r.channel[i], r.spawn[i], r.handles[i], r.oneshot[i]
            );
        }
    }
}

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
    let mut all: Vec<Rounds> = ["tokio", "async-std", "smol"]
        .into_iter()
        .map(|runtime| Rounds {
            runtime,
            pool: Vec::new(),
            channel: Vec::new(),
            spawn: Vec::new(),
            handles: Vec::new(),
            oneshot: Vec::new(),
        })
        .collect();
    for _ in 0..flags.processes {
        let output = std::process::Command::new(&me)
            .args(["--child", "--rounds", &flags.rounds.to_string()])
            .args(["--jobs", &flags.jobs.to_string()])
            .output()
            .expect("a child measurement");
        assert!(output.status.success(), "a child failed: {output:?}");
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let rates: Vec<f64> = fields[1..]
                .iter()
                .map(|rate| rate.parse().unwrap_or(f64::NAN))
                .collect();
            let Some(r) = all.iter_mut().find(|r| r.runtime == fields[0]) else {
                continue;
            };
            r.pool.push(rates[0]);
            r.channel.push(rates[1]);
            r.spawn.push(rates[2]);
            r.handles.push(rates[3]);
            r.oneshot.push(rates[4]);
        }
    }
    report(&all, flags.json.as_deref());
}

fn report(all: &[Rounds], json: Option<&str>) {
    println!();
    println!(
        "| runtime | pool M jobs/s | channel M jobs/s | pool / channel | pool / spawn-per-job | handles M jobs/s | oneshot M jobs/s | handles / oneshot |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for r in all {
        rows.push(format!(
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
        ));
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
    }
    if let Some(path) = json {
        let text = format!("[\n  {}\n]\n", rows.join(",\n  "));
        std::fs::write(path, text).unwrap_or_else(|error| panic!("cannot write {path}: {error}"));
        println!("\nwrote {path}");
    }
}
