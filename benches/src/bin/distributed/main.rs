//! distributed: `pool-redis` end to end on one machine, against the broker's own limit and
//! against apalis with its Redis backend, on the same throwaway redis-server.
//!
//! Each round first measures pipelined `XADD` alone (the broker's limit here), then every
//! setup: for each job (no-op, 1 ms sleep), number of consumer processes and read batch, each
//! queue in turn. A setup starts its consumer processes (this binary re-run; tokio, 32 jobs
//! at once each), waits until they are connected, starts a producer process alongside them,
//! and times from the producer's start until Redis records the last job done. Redis's CPU,
//! the consumers' and the producer's, and the commands Redis ran, are read around each run.
//! The server is emptied between runs; rounds repeat the whole sequence, and the tables give
//! medians and medians of per-round ratios.
//!
//! `cluster` measures pool-redis on a 3+3 Redis Cluster with its queues on 1, 2 or 3 masters,
//! beside one plain server.
//!
//! `--systems` also takes `bullmq` (BullMQ for Node, in node processes; skipped where Node
//! is missing), `bullmq-rust` (BullMQ's Rust crate; built with `--features bullmq-rust`) and
//! `celery` (Celery's Redis broker, in Python processes; skipped without Python). `--pin` runs Redis on CPU 0 and every client on CPU 1.
//!
//! `crash` kills consumers with SIGKILL mid-run and counts what each queue kept; `latency`
//! measures enqueue-to-start waits at fixed arrival rates (open loop).
//!
//! `memory` instead has one consumer drain streams of growing length and samples its
//! resident memory; `lateness` measures how late delayed jobs start after they are due.
//! `--systems pool-redis,pool-redis-delayed` puts delayed jobs (a delay of zero, through the
//! delayed set) beside immediate ones in the throughput tables.
//!
//! ```text
//! cargo run --release -p benches --bin distributed -- [--jobs 20000] [--rounds 3]
//!     [--consumers 1,2,4] [--batches 1,10,100] [--job-ms 0,1] [--workers 32]
//!     [--systems pool-redis,apalis-redis]
//! cargo run --release -p benches --bin distributed -- memory [--lengths 10000,100000,1000000]
//! cargo run --release -p benches --bin distributed -- lateness [--jobs 2000] [--consumers 1,2,4]
//! cargo run --release -p benches --bin distributed -- cluster [--jobs 30000] [--consumers 2] [--job-ms 0,1]
//! cargo run --release -p benches --bin distributed -- crash [--jobs 20000] [--rounds 2] [--systems ...]
//! cargo run --release -p benches --bin distributed -- latency [--consumers 2] [--systems ...]
//! ```
//!
//! Needs `redis-server` on the PATH (`apt-get install -y redis-server`).
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

mod apalis_peer;
mod broker;
mod bullmq_peer;
#[cfg(feature = "bullmq-rust")]
mod bullmq_rust_peer;
mod celery_peer;
mod child;
mod cluster;
mod crash;
mod lateness;
mod measure;
mod memory;
mod open_loop;
mod options;
mod ours;
mod pinning;
mod process;
mod recorder;
mod report;
mod server;
mod system;

use options::Options;
use report::Round;

/// pool-redis end to end against the broker's limit and the peers, on one throwaway Redis.
#[derive(clap::Parser)]
#[command(name = "distributed", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    options: Options,
}

#[derive(clap::Subcommand)]
enum Mode {
    /// One consumer drains streams of growing length; its resident memory is sampled.
    Memory(Options),
    /// How late delayed jobs start after they are due, with 1, 2 or 4 idle consumers.
    Lateness(Options),
    /// pool-redis on a Redis Cluster, its queues on 1, 2 or 3 masters, beside one server.
    Cluster(Options),
    /// What each queue keeps when its consumers are killed with SIGKILL mid-run.
    Crash(Options),
    /// Enqueue-to-start latency at fixed arrival rates (open loop), for each queue.
    Latency(Options),
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The runner's own child processes, with their own arguments.
    if let Some(role @ ("consume" | "produce")) = args.first().map(String::as_str) {
        return child::run(role, &args[1..]);
    }
    let cli = <Cli as clap::Parser>::parse();
    match cli.mode {
        Some(Mode::Memory(options)) => memory::run(&options),
        Some(Mode::Lateness(options)) => lateness::run(&options),
        Some(Mode::Cluster(options)) => cluster::run(&options),
        Some(Mode::Crash(options)) => crash::run(&ready_systems(&options)),
        Some(Mode::Latency(options)) => open_loop::run(&ready_systems(&options)),
        None => throughput(&cli.options),
    }
}

/// `options` with only the queues that can run here; each other one is said to be skipped.
fn ready_systems(options: &Options) -> Options {
    let mut options = options.clone();
    options.systems.retain(|system| match system.ready() {
        Ok(()) => true,
        Err(why) => {
            eprintln!("skipped {}: {why}", system.name());
            false
        }
    });
    assert!(!options.systems.is_empty(), "no queue to measure");
    options
}

fn throughput(options: &Options) {
    let options = &ready_systems(options);
    if options.pin {
        pinning::pin(0, 1);
    }
    let server = server::Server::start();
    let setups = report::setups(options);
    let mut rounds = Vec::new();
    for round in 0..options.rounds {
        let mut measured = Round {
            xadd_per_second: broker::xadd_rate(&server, options.jobs),
            ..Round::default()
        };
        eprintln!(
            "round {}: XADD {:.0}/s",
            round + 1,
            measured.xadd_per_second
        );
        for setup in &setups {
            let run = measure::measure(&server, setup);
            let said = match &run {
                Ok(run) => format!(
                    "{:.0} jobs/s, Redis {:.2} cores",
                    run.jobs_per_second, run.redis_cores
                ),
                Err(failure) => failure.clone(),
            };
            eprintln!(
                "  {} job {} ms, {} consumers, batch {}: {said}",
                setup.system.name(),
                setup.work_ms,
                setup.consumers,
                setup.batch,
            );
            match run {
                Ok(run) => {
                    measured.runs.insert(*setup, run);
                }
                Err(_) => {
                    measured.failures.insert(*setup);
                }
            }
        }
        rounds.push(measured);
    }
    report::print(options, &rounds);
}
