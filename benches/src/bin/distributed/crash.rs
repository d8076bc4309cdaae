//! `crash`: what each queue keeps when its consumer processes die. Each queue, at its
//! defaults (32 jobs at once per process), runs numbered jobs of 10 ms on two consumer
//! processes while the runner kills one with SIGKILL every 300 to 500 ms and starts a new
//! one, several times. Every job appends its number to a list when its body ends. The run
//! ends once the queue says it holds nothing more (nothing waiting, running or held for a
//! retry) or at a deadline; then each job counts as finished once, finished more than once,
//! lost (never finished, and the queue no longer has it) or stuck (never finished, still in
//! the queue at the deadline).

use std::time::{Duration, Instant};

use crate::child::ChildProcess;
use crate::options::Options;
use crate::recorder::ends_key;
use crate::server::Server;
use crate::system::{ConsumerSpec, Load, System};

const QUEUE: &str = "crash";
const WORK_MS: u64 = 10;
const CONSUMERS: usize = 2;
const KILLS: usize = 8;
/// How long after the last kill a queue may take to settle: past BullMQ's and Celery's
/// recovery periods (30 s stalled checks; Celery's visibility timeout is an hour, so it
/// shows as stuck).
const SETTLE_WITHIN: Duration = Duration::from_secs(120);

/// What one run left.
#[derive(Debug, Default)]
struct Outcome {
    once: usize,
    twice: usize,
    lost: usize,
    stuck: usize,
    /// From the producer's start until the queue settled (`None`: it had not by the deadline).
    settled_after: Option<Duration>,
}

/// Prints a row per queue and round.
pub(crate) fn run(options: &Options) {
    let server = Server::start();
    let mut rng = fastrand::Rng::with_seed(7);
    println!(
        "{} numbered jobs of {WORK_MS} ms, {CONSUMERS} consumer processes of {} workers, {KILLS} SIGKILLs 300-500 ms apart (each replaced at once)",
        options.jobs, options.workers
    );
    println!();
    println!("| queue | round | finished once | more than once | lost | stuck | settled after s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for round in 1..=options.rounds {
        for &system in &options.systems {
            let outcome = measure(&server, system, options, &mut rng);
            println!(
                "| {} | {round} | {} | {} | {} | {} | {} |",
                system.name(),
                outcome.once,
                outcome.twice,
                outcome.lost,
                outcome.stuck,
                outcome.settled_after.map_or(
                    "not within the deadline".to_owned(),
                    |after| format!("{:.1}", after.as_secs_f64())
                ),
            );
        }
    }
}

fn measure(server: &Server, system: System, options: &Options, rng: &mut fastrand::Rng) -> Outcome {
    // pool-redis's default read batch (apalis's is its own setting; the others read one
    // job at a time).
    let spec = ConsumerSpec::on_empty(server, QUEUE, 100, options.workers);
    let mut consumers = spec.start(system, CONSUMERS);
    let load = Load {
        jobs: options.jobs,
        work_ms: WORK_MS,
        numbered: true,
        rate: None,
    };
    let mut producer = ChildProcess::producer(system, &spec.url, QUEUE, load);
    let started = Instant::now();
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(rng.u64(300..=500)));
        let victim = rng.usize(..consumers.len());
        // Dropping a child kills it with SIGKILL.
        consumers[victim] = ChildProcess::consumer(system, &spec);
    }
    // Every job enqueued (the producer says its CPU time as it ends) before the queue may
    // count as settled.
    producer.expect_line("cpu");
    let mut connection = server.connection().expect("the server answers");
    let deadline = Instant::now() + SETTLE_WITHIN;
    let mut settled_after = None;
    let mut next_word = Instant::now();
    while Instant::now() < deadline {
        let outstanding = system.outstanding(&mut connection, QUEUE);
        if outstanding == 0 {
            settled_after = Some(started.elapsed());
            break;
        }
        if Instant::now() >= next_word {
            eprintln!(
                "  {} after {:.0} s: {outstanding} jobs still held by the queue",
                system.name(),
                started.elapsed().as_secs_f64()
            );
            next_word += Duration::from_secs(5);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // A check of the settling rule: once settled, wait this much longer (seconds, from
    // CRASH_LINGER) and count again, in case the queue still held jobs where the rule did
    // not look.
    if let Some(linger) = std::env::var("CRASH_LINGER")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        std::thread::sleep(Duration::from_secs(linger));
    }
    let ends: Vec<u64> = redis::cmd("LRANGE")
        .arg(ends_key(QUEUE))
        .arg(0)
        .arg(-1)
        .query(&mut connection)
        .expect("LRANGE");
    let mut times = vec![0_usize; options.jobs];
    for number in ends {
        if let Some(count) = times.get_mut(usize::try_from(number).unwrap_or(usize::MAX)) {
            *count += 1;
        }
    }
    let never = times.iter().filter(|&&count| count == 0).count();
    let outstanding = usize::try_from(system.outstanding(&mut connection, QUEUE)).unwrap_or(0);
    Outcome {
        once: times.iter().filter(|&&count| count == 1).count(),
        twice: times.iter().filter(|&&count| count > 1).count(),
        stuck: never.min(outstanding),
        lost: never - never.min(outstanding),
        settled_after,
    }
}
