//! `cluster`: pool-redis on a Redis Cluster of 3 masters and 3 replicas (started here, on
//! loopback), with its load on 1, 2 or 3 masters: as many queues, one per master, each fed by
//! a producer process of its own, and consumer processes that each serve all of them
//! (weighted alike). One plain redis-server, with one queue, is measured in the same rounds
//! as the baseline: what the cluster client costs.

use std::time::{Duration, Instant};

use pool_redis::doc_support::DocCluster;

use crate::broker::xadd_batches;
use crate::child::ChildProcess;
use crate::options::Options;
use crate::process::cpu_seconds;
use crate::server::{Info, Server};
use crate::system::{ConsumerSpec, Load, System};

/// A run that takes longer has hung.
const TIMEOUT: Duration = Duration::from_secs(600);

/// Where the load goes: a plain server, or this many of the cluster's masters.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Plain,
    Masters(usize),
}

/// What one run gave: jobs per second, and CPU microseconds per job of every Redis node
/// together and of every consumer process together.
struct Run {
    jobs_per_second: f64,
    redis_us: f64,
    consumers_us: f64,
}

/// Prints a table: per target and job, medians over the rounds.
pub(crate) fn run(options: &Options) {
    let cluster = DocCluster::start(3).expect("redis-server is installed");
    let plain = Server::start();
    let consumers = options.consumers.first().copied().unwrap_or(2);
    let targets = [
        Target::Plain,
        Target::Masters(1),
        Target::Masters(2),
        Target::Masters(3),
    ];
    let mut runs: Vec<(Target, u64, Vec<Run>)> = Vec::new();
    for round in 0..options.rounds {
        for &work_ms in &options.work_ms {
            for target in targets {
                plain.reset();
                let run = measure(&cluster, &plain, target, work_ms, consumers, options, round);
                eprintln!(
                    "round {}: {target:?}, job {work_ms} ms: {:.0} jobs/s",
                    round + 1,
                    run.jobs_per_second
                );
                match runs
                    .iter_mut()
                    .find(|(t, w, _)| *t == target && *w == work_ms)
                {
                    Some((_, _, found)) => found.push(run),
                    None => runs.push((target, work_ms, vec![run])),
                }
            }
        }
    }
    let waits = wait_costs(&cluster, options.rounds);
    println!(
        "{} jobs per run, {consumers} consumer processes of {} workers each, serving every queue; medians of {} rounds",
        options.jobs, options.workers, options.rounds
    );
    println!();
    println!("| where | job | jobs/s | Redis µs/job (all nodes) | consumers µs/job |");
    println!("|---|---:|---:|---:|---:|");
    for (target, work_ms, runs) in &runs {
        let middle =
            |value: fn(&Run) -> f64| median(&mut runs.iter().map(value).collect::<Vec<_>>());
        let job = if *work_ms == 0 {
            "no-op".to_owned()
        } else {
            format!("{work_ms} ms")
        };
        let place = match target {
            Target::Plain => "one redis-server, 1 queue".to_owned(),
            Target::Masters(1) => "cluster, 1 queue on 1 master".to_owned(),
            Target::Masters(n) => format!("cluster, {n} queues on {n} masters"),
        };
        println!(
            "| {place} | {job} | {:.0} | {:.1} | {:.1} |",
            middle(|run| run.jobs_per_second),
            middle(|run| run.redis_us),
            middle(|run| run.consumers_us),
        );
    }
    println!();
    println!(
        "What `WAIT 1 1000` after each pipeline costs pipelined `XADD` to a master with one replica:"
    );
    println!();
    println!("| XADDs per pipeline | entries/s | with WAIT | ratio (median of rounds) |");
    println!("|---:|---:|---:|---:|");
    for (batch, without, with, ratio) in waits {
        println!("| {batch} | {without:.0} | {with:.0} | {ratio:.2} |");
    }
}

/// What `WAIT 1` costs an enqueue: entries added per second to a master in pipelines of 1 and
/// of 100 (a producer's `enqueue` and `enqueue_many` of 100), each followed by `WAIT 1 1000`
/// or not, in interleaved rounds. Rows: batch, jobs/s without, with, median of per-round
/// ratios.
fn wait_costs(cluster: &DocCluster, rounds: usize) -> Vec<(usize, f64, f64, f64)> {
    let stream = "{wait-cost}:jobs";
    let node = cluster.node_url(cluster.master_of(stream));
    let mut connection = redis::Client::open(node)
        .and_then(|client| client.get_connection())
        .expect("the master answers");
    [(1, 5_000), (100, 50_000)]
        .into_iter()
        .map(|(batch, entries)| {
            let mut without = Vec::new();
            let mut with = Vec::new();
            for _ in 0..rounds {
                without.push(xadd_batches(&mut connection, stream, entries, batch, false));
                with.push(xadd_batches(&mut connection, stream, entries, batch, true));
                let _: () = redis::cmd("DEL")
                    .arg(stream)
                    .query(&mut connection)
                    .expect("DEL");
            }
            let mut ratios: Vec<f64> = with.iter().zip(&without).map(|(w, n)| w / n).collect();
            (
                batch,
                median(&mut without),
                median(&mut with),
                median(&mut ratios),
            )
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn measure(
    cluster: &DocCluster,
    plain: &Server,
    target: Target,
    work_ms: u64,
    consumers: usize,
    options: &Options,
    round: usize,
) -> Run {
    let (url, queues, nodes) = match target {
        Target::Plain => (
            plain.url(),
            vec![format!("plain-{round}-{work_ms}")],
            vec![plain.url()],
        ),
        Target::Masters(count) => {
            // Fresh names each run: a cluster is not emptied between runs.
            let queues =
                cluster.names_on_different_masters(&format!("r{round}-{work_ms}-{count}"), count);
            let nodes = (0..6).map(|node| cluster.node_url(node)).collect();
            (cluster.url(), queues, nodes)
        }
    };
    let spec = ConsumerSpec {
        url: url.clone(),
        queue: queues.join(","),
        batch: 100,
        workers: options.workers,
    };
    let mut processes: Vec<ChildProcess> = (0..consumers)
        .map(|_| ChildProcess::consumer(System::Ours, &spec))
        .collect();
    let redis_cpu = || -> f64 { nodes.iter().map(|node| node_info(node).cpu_seconds).sum() };
    let consumers_cpu = |processes: &[ChildProcess]| -> f64 {
        processes.iter().map(|p| cpu_seconds(p.pid())).sum()
    };
    let mut counters: Vec<(redis::Connection, &str)> = queues
        .iter()
        .map(|queue| {
            let node = match target {
                Target::Plain => plain.url(),
                Target::Masters(_) => cluster.node_url(cluster.master_of(&format!("{{{queue}}}"))),
            };
            let connection = redis::Client::open(node)
                .and_then(|client| client.get_connection())
                .expect("the queue's node answers");
            (connection, queue.as_str())
        })
        .collect();
    let (redis_before, consumers_before) = (redis_cpu(), consumers_cpu(&processes));
    let per_queue = options.jobs / queues.len();
    let _producers: Vec<ChildProcess> = queues
        .iter()
        .map(|queue| {
            ChildProcess::producer(System::Ours, &url, queue, Load::plain(per_queue, work_ms))
        })
        .collect();
    let started = Instant::now();
    let total = (per_queue * queues.len()) as u64;
    loop {
        let done: u64 = counters
            .iter_mut()
            .map(|(connection, queue)| System::Ours.completed(connection, queue))
            .sum();
        if done >= total {
            break;
        }
        assert!(started.elapsed() < TIMEOUT, "{target:?} did not finish");
        assert!(
            !processes.iter_mut().any(ChildProcess::has_exited),
            "a consumer process died"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let seconds = started.elapsed().as_secs_f64();
    let per_job = |cpu: f64| cpu * 1e6 / total as f64;
    Run {
        jobs_per_second: total as f64 / seconds,
        redis_us: per_job(redis_cpu() - redis_before),
        consumers_us: per_job(consumers_cpu(&processes) - consumers_before),
    }
}

fn node_info(url: &str) -> Info {
    let text: String = redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .and_then(|mut connection| redis::cmd("INFO").arg("everything").query(&mut connection))
        .expect("a node answers INFO");
    Info::parse(&text)
}
