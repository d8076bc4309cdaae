//! one: runs a single workload once, for `valgrind --tool=callgrind`, whose instruction
//! counts, unlike times, do not depend on what else the machine is doing.
//!
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/one tokio pool 100000`
//! Subtract the count for 0 jobs and divide by the jobs: instructions per job.
#![allow(clippy::print_stdout)]

use benches::criterion_support::{QUEUE, WORKERS};
use benches::jobs::Work;
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend, workloads};

fn run<B: Backend>(backend: &B, approach: &str, jobs: usize) {
    let b = backend.clone();
    match approach {
        "pool" => backend.run(workloads::pool(b, Work::Noop, jobs, WORKERS, QUEUE)),
        "channel" => backend.run(workloads::channel(b, Work::Noop, jobs, WORKERS, QUEUE)),
        "spawn-per-job" => backend.run(backend.spawn_each(Work::Noop, jobs)),
        "pool-timed" => backend.run(workloads::pool_timed(b, jobs, WORKERS, QUEUE)),
        "pool-closures" => {
            backend.run(workloads::pool_of_closures(
                b,
                Work::Noop,
                jobs,
                WORKERS,
                QUEUE,
            ));
        }
        "pool-carrying" => {
            backend.run(workloads::pool_of_carrying(
                b,
                Work::Noop,
                jobs,
                WORKERS,
                QUEUE,
            ));
        }
        "pool-two-kinds" => {
            backend.run(workloads::pool_of_two_kinds(
                b,
                Work::Noop,
                jobs,
                WORKERS,
                QUEUE,
            ));
        }
        "pool-handles" => {
            backend.run(workloads::pool_with_handles(
                b,
                Work::Noop,
                jobs,
                WORKERS,
                QUEUE,
            ));
        }
        "channel-oneshot" => {
            backend.run(workloads::channel_with_oneshots(
                b,
                Work::Noop,
                jobs,
                WORKERS,
                QUEUE,
            ));
        }
        other => panic!("unknown approach {other}"),
    }
}

/// One approach on one runtime, for a profiler (callgrind, perf) to look at alone.
#[derive(clap::Parser)]
#[command(name = "one")]
struct Flags {
    /// The runtime.
    #[arg(value_parser = ["tokio", "async-std", "smol"])]
    runtime: String,
    /// The approach.
    #[arg(value_parser = ["pool", "pool-timed", "pool-closures", "pool-carrying", "pool-two-kinds", "channel", "spawn-per-job", "pool-handles", "channel-oneshot"])]
    approach: String,
    /// How many jobs.
    jobs: usize,
}

fn main() {
    let Flags {
        runtime,
        approach,
        jobs,
    } = <Flags as clap::Parser>::parse();
    let approach = approach.as_str();
    match runtime.as_str() {
        "tokio" => run(&TokioBackend::new(), approach, jobs),
        "async-std" => run(&AsyncStdBackend::new(), approach, jobs),
        "smol" => run(&SmolBackend::new(), approach, jobs),
        other => panic!("unknown runtime {other}"),
    }
    println!("{runtime} {approach} {jobs}: done");
}
