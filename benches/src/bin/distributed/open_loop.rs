//! `latency`: how long a job waits from its enqueue to its start when jobs arrive at a fixed
//! rate (open loop: job n is due n / rate seconds after the first, whether or not the queue
//! kept up, and its wait counts from when it was due). Each queue's capacity is measured
//! first (no-op jobs, as fast as it takes them); the rates are 50 % and 90 % of the slowest
//! queue's, so that every queue can keep up with them. Each job records its wait as it
//! starts; the tables give p50, p99, p99.9 and the maximum.

use std::time::{Duration, Instant};

use crate::child::ChildProcess;
use crate::measure::{Setup, measure};
use crate::options::Options;
use crate::recorder::latency_key;
use crate::server::Server;
use crate::system::{ConsumerSpec, Load, System};

const QUEUE: &str = "latency";
/// Each rate runs this long, so that the percentiles rest on thousands of jobs.
const RUN_FOR: Duration = Duration::from_secs(15);

pub(crate) fn run(options: &Options) {
    let server = Server::start();
    let consumers = options.consumers[0];
    let rates: Vec<(f64, String)> = if options.rates.is_empty() {
        let slowest = capacities(&server, consumers, options);
        [0.5, 0.9]
            .iter()
            .map(|share| {
                (
                    slowest * share,
                    format!(" ({:.0} % of the slowest)", share * 100.0),
                )
            })
            .collect()
    } else {
        options
            .rates
            .iter()
            .map(|rate| (*rate, String::new()))
            .collect()
    };
    println!();
    println!("| rate | queue | jobs | p50 ms | p99 ms | p99.9 ms | max ms |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (rate, which) in rates {
        for &system in &options.systems {
            let mut waits = waits(&server, system, rate, consumers, options);
            waits.sort_unstable();
            let at = |quantile: f64| {
                let index = ((waits.len() - 1) as f64 * quantile).round() as usize;
                waits[index] as f64 / 1000.0
            };
            println!(
                "| {rate:.0}/s{which} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                system.name(),
                waits.len(),
                at(0.5),
                at(0.99),
                at(0.999),
                at(1.0),
            );
        }
    }
}

/// Measures each queue's capacity (no-op jobs, as fast as it takes them), prints them, and
/// returns the slowest.
fn capacities(server: &Server, consumers: usize, options: &Options) -> f64 {
    let mut capacities = Vec::new();
    for &system in &options.systems {
        let setup = Setup {
            system,
            consumers,
            batch: 100,
            work_ms: 0,
            jobs: options.jobs,
            workers: options.workers,
        }
        .for_system(system, options);
        let rate = measure(server, &setup).map_or(f64::NAN, |run| run.jobs_per_second);
        eprintln!("{}: capacity {rate:.0} jobs/s", system.name());
        capacities.push((system, rate));
    }
    println!(
        "Capacity (no-op jobs, {consumers} consumer processes of {} workers, as fast as each takes them):",
        options.workers
    );
    for (system, rate) in &capacities {
        println!("- {}: {rate:.0} jobs/s", system.name());
    }
    capacities
        .iter()
        .map(|(_, rate)| *rate)
        .fold(f64::INFINITY, f64::min)
}

/// Each job's wait, in µs, with jobs arriving at `rate` for [`RUN_FOR`].
fn waits(
    server: &Server,
    system: System,
    rate: f64,
    consumers: usize,
    options: &Options,
) -> Vec<u64> {
    let spec = ConsumerSpec::on_empty(server, QUEUE, 100, options.workers);
    let _consumers = spec.start(system, consumers);
    let jobs = (rate * RUN_FOR.as_secs_f64()).max(1000.0) as usize;
    let load = Load {
        rate: Some(rate),
        ..Load::plain(jobs, 0)
    };
    let _producer = ChildProcess::producer(system, &spec.url, QUEUE, load);
    let mut connection = server.connection().expect("the server answers");
    let deadline = Instant::now() + RUN_FOR * 4 + Duration::from_secs(60);
    loop {
        let recorded: usize = redis::cmd("LLEN")
            .arg(latency_key(QUEUE))
            .query(&mut connection)
            .expect("LLEN");
        if recorded >= jobs || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    redis::cmd("LRANGE")
        .arg(latency_key(QUEUE))
        .arg(0)
        .arg(-1)
        .query(&mut connection)
        .expect("LRANGE")
}
