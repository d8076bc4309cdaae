//! The tables: throughput against the broker's limit and against the peer, where each job's
//! time goes, and what each system asks of Redis per job. Medians over rounds; ratios are
//! medians of per-round ratios.

use std::collections::{HashMap, HashSet};

use benches::median::median;

use crate::measure::{Measured, Setup};
use crate::options::Options;

/// One round: the broker's limit, then every setup, measured back to back.
#[derive(Debug, Default)]
pub(crate) struct Round {
    pub(crate) xadd_per_second: f64,
    pub(crate) runs: HashMap<Setup, Measured>,
    /// Setups whose consumer died: these have no numbers in this round.
    pub(crate) failures: HashSet<Setup>,
}

/// Every setup the options ask for, in the order a round runs them.
pub(crate) fn setups(options: &Options) -> Vec<Setup> {
    let mut setups = Vec::new();
    for &work_ms in &options.work_ms {
        for &consumers in &options.consumers {
            for &batch in &options.batches {
                for &system in &options.systems {
                    let setup = Setup {
                        system,
                        consumers,
                        batch,
                        work_ms,
                        jobs: options.jobs,
                        workers: options.workers,
                    };
                    // A queue that reads one job at a time is measured once.
                    if setup.for_system(system, options) == setup {
                        setups.push(setup);
                    }
                }
            }
        }
    }
    setups
}

pub(crate) fn print(options: &Options, rounds: &[Round]) {
    let xadd = median_of(rounds, |round| Some(round.xadd_per_second));
    println!(
        "\nPipelined XADD alone (the broker's limit): {xadd:.0} entries/s (median of {} rounds)\n",
        rounds.len()
    );
    throughput(options, rounds);
    time_spent(options, rounds);
    commands(options, rounds);
}

fn throughput(options: &Options, rounds: &[Round]) {
    let (first, others) = options.systems.split_first().expect("a system");
    print!("| job | consumers | batch |");
    for system in &options.systems {
        print!(" {} jobs/s | × XADD |", system.name());
    }
    for other in others {
        print!(" {} ÷ {} |", first.name(), other.name());
    }
    println!();
    println!(
        "|---|---:|---:|{}",
        "---:|".repeat(2 * options.systems.len() + others.len())
    );
    for setup in setups(options).iter().filter(|s| s.system == *first) {
        print!(
            "| {} | {} | {} |",
            job_name(setup.work_ms),
            setup.consumers,
            setup.batch
        );
        for &system in &options.systems {
            let setup = setup.for_system(system, options);
            let rate = median_of(rounds, |r| Some(r.runs.get(&setup)?.jobs_per_second));
            let ratio = median_of(rounds, |r| {
                Some(r.runs.get(&setup)?.jobs_per_second / r.xadd_per_second)
            });
            let note = died_note(rounds, &setup);
            print!(" {rate:.0}{note} | {ratio:.2} |");
        }
        for &other in others {
            let other = setup.for_system(other, options);
            let ratio = median_of(rounds, |r| {
                Some(r.runs.get(setup)?.jobs_per_second / r.runs.get(&other)?.jobs_per_second)
            });
            print!(" {ratio:.2} |");
        }
        println!();
    }
}

fn time_spent(options: &Options, rounds: &[Round]) {
    println!("\nWhere the time goes (CPU per job, µs; Redis's share of its one core):\n");
    println!(
        "| queue | job | consumers | batch | Redis cores | Redis µs | consumers µs | producer µs | consumer RSS MiB | rounds |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for setup in setups(options) {
        let of =
            |field: fn(&Measured) -> f64| median_of(rounds, |r| Some(field(r.runs.get(&setup)?)));
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            setup.system.name(),
            job_name(setup.work_ms),
            setup.consumers,
            setup.batch,
            of(|m| m.redis_cores),
            of(|m| m.redis_us),
            of(|m| m.consumers_us),
            of(|m| m.producer_us),
            of(|m| m.consumer_rss_mib),
            match died_note(rounds, &setup).trim() {
                "" => "all",
                note => note,
            },
        );
    }
}

/// Per system, the commands per job of the first job, one consumer and the largest batch, in
/// the last round it survived.
fn commands(options: &Options, rounds: &[Round]) {
    for &system in &options.systems {
        let setup = Setup {
            system,
            consumers: options.consumers[0],
            batch: options.batches.iter().copied().max().unwrap_or(1),
            work_ms: options.work_ms[0],
            jobs: options.jobs,
            workers: options.workers,
        }
        .for_system(system, options);
        // The last round this setup survived.
        let Some(measured) = rounds.iter().rev().find_map(|round| round.runs.get(&setup)) else {
            continue;
        };
        println!(
            "\n{} asks of Redis, per job ({}, {} consumer, batch {}; scripts' inner commands are \
             counted too, and their time is inside the script's):\n",
            system.name(),
            job_name(setup.work_ms),
            setup.consumers,
            setup.batch
        );
        println!("| command | calls per job | server µs per job |");
        println!("|---|---:|---:|");
        for (name, calls, usec) in &measured.commands {
            println!("| {name} | {calls:.3} | {usec:.2} |");
        }
    }
}

/// " (died in k of n)" for a setup whose consumer died in some rounds; empty otherwise.
fn died_note(rounds: &[Round], setup: &Setup) -> String {
    let died = rounds.iter().filter(|r| r.failures.contains(setup)).count();
    if died > 0 {
        format!(" (died in {died} of {})", rounds.len())
    } else {
        String::new()
    }
}

fn median_of(rounds: &[Round], value: impl Fn(&Round) -> Option<f64>) -> f64 {
    let values: Vec<f64> = rounds.iter().filter_map(value).collect();
    median(&values).unwrap_or(f64::NAN)
}

fn job_name(work_ms: u64) -> String {
    if work_ms == 0 {
        "no-op".to_owned()
    } else {
        format!("{work_ms} ms")
    }
}
