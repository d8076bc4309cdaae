//! `lateness`: how late delayed jobs start after they are due, with 1, 2 or 4 idle consumer
//! processes (each looking for due jobs every `promote_every`, 500 ms by default). A producer
//! enqueues jobs due over the next few seconds, each knowing when it is due; each job records
//! how late it started; the runner reads the records and gives p50, p99 and the maximum.

use std::time::{Duration, Instant};

use pool_redis::{Producer, Queue};

use crate::options::Options;
use crate::ours::{BenchJob, now_ms};
use crate::recorder::lateness_key;
use crate::server::Server;
use crate::system::{ConsumerSpec, System};

const QUEUE: &str = "lateness";
/// Jobs are due over this long, evenly.
const SPREAD: Duration = Duration::from_secs(5);

/// Prints one row per consumer count: lateness percentiles over `options.jobs` jobs.
pub(crate) fn run(options: &Options) {
    let server = Server::start();
    println!("| consumers | jobs | late p50 ms | p99 ms | max ms |");
    println!("|---:|---:|---:|---:|---:|");
    for &consumers in &options.consumers {
        let mut late = measure(&server, consumers, options);
        late.sort_unstable();
        let at = |share: f64| late[((late.len() - 1) as f64 * share) as usize];
        println!(
            "| {consumers} | {} | {} | {} | {} |",
            late.len(),
            at(0.5),
            at(0.99),
            late.last().copied().unwrap_or(0)
        );
    }
}

/// How late each job started, in ms, with `consumers` idle consumer processes.
fn measure(server: &Server, consumers: usize, options: &Options) -> Vec<u64> {
    let spec = ConsumerSpec::on_empty(server, QUEUE, 100, options.workers);
    let _consumers = spec.start(System::Ours, consumers);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(enqueue(&server.url(), options.jobs));
    let mut connection = server.connection().expect("a connection");
    let started = Instant::now();
    loop {
        let recorded: usize = redis::cmd("LLEN")
            .arg(lateness_key(QUEUE))
            .query(&mut connection)
            .expect("LLEN");
        if recorded >= options.jobs {
            break;
        }
        assert!(
            started.elapsed() < SPREAD * 20,
            "only {recorded} of {} delayed jobs ran",
            options.jobs
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    redis::cmd("LRANGE")
        .arg(lateness_key(QUEUE))
        .arg(0)
        .arg(-1)
        .query(&mut connection)
        .expect("LRANGE")
}

/// Enqueues `jobs` jobs due evenly over the next [`SPREAD`], in groups of 100 with one
/// delay each, every job knowing when it is due (by this host's clock, which Redis shares).
async fn enqueue(url: &str, jobs: usize) {
    let producer = Producer::connect(url, Queue::new(QUEUE))
        .await
        .expect("the producer connects");
    let groups = jobs.div_ceil(100);
    for group in 0..groups {
        let delay = SPREAD.mul_f64(group as f64 / groups as f64);
        let due_ms = now_ms() + u64::try_from(delay.as_millis()).unwrap_or(0);
        let count = 100.min(jobs - group * 100);
        let job = BenchJob {
            work_ms: 0,
            due_ms,
            number: None,
            sent_us: None,
        };
        let batch = vec![job; count];
        producer
            .enqueue_many_in(&batch, delay)
            .await
            .expect("Redis takes the jobs");
    }
}
