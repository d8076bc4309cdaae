//! `work --metrics`: Prometheus scrapes taken while a consumer works agree with the run: on
//! every runtime, each scrape's counters are consistent and never go back, and the last
//! ones equal the consumer's own summary and the queue's totals.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pool_redis::doc_support::DocServer;
use support::{App, get};

/// Jobs per runtime: a few seconds of work, so that scrapes land mid-run.
const JOBS: u64 = 3_000;

/// Every sample of a scrape: `name{labels}` to its value (comments and blank lines aside).
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.rsplit_once(' '))
        .filter_map(|(series, value)| Some((series.to_owned(), value.parse().ok()?)))
        .collect()
}

/// The value of the one series named `name` (whatever its labels), or 0 before it exists.
fn value(samples: &HashMap<String, f64>, name: &str) -> u64 {
    let found: Vec<f64> = samples
        .iter()
        .filter(|(series, _)| series.split('{').next() == Some(name))
        .map(|(_, value)| *value)
        .collect();
    assert!(found.len() <= 1, "{name}: {found:?}");
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    found.first().map_or(0, |value| *value as u64)
}

#[test]
fn scrapes_during_a_run_agree_with_its_totals_on_every_runtime() {
    let Some(server) = DocServer::start() else {
        return;
    };
    let url = server.url();
    for runtime in ["tokio", "async-std", "smol"] {
        let queue = format!("scraped-{runtime}");
        let common = ["--redis", url.as_str(), "--queue", queue.as_str()];
        let published = std::process::Command::new(env!("CARGO_BIN_EXE_sampleapp"))
            .arg("publish")
            .args(common)
            .args([
                "--count",
                &JOBS.to_string(),
                "--job-ms",
                "1..2",
                "--fail-rate",
                "0.01",
            ])
            .output()
            .unwrap();
        assert!(published.status.success(), "{published:?}");

        let mut worker = App::start(
            &[
                &["work", "--runtime", runtime, "--workers", "8", "--json"][..],
                &["--max-attempts", "1", "--metrics", "127.0.0.1:0"],
                &common,
            ]
            .concat(),
            &[],
        );
        let address = worker.address("metrics on");
        let mut last = HashMap::new();
        let mut mid_run = 0;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let scrape = get(&address, "/metrics", &[]);
            assert_eq!(scrape.status, 200);
            assert!(
                scrape
                    .header("content-type")
                    .is_some_and(|kind| kind.starts_with("text/plain; version=0.0.4"))
            );
            let now = samples(&scrape.body);
            let count = |name| value(&now, name);
            let (read, acknowledged, dead) = (
                count("pool_redis_consumer_read_total"),
                count("pool_redis_consumer_acknowledged_total"),
                count("pool_redis_consumer_dead_lettered_total"),
            );
            // Consistent within a scrape, and never backwards between scrapes.
            assert!(
                acknowledged + dead <= read && read <= JOBS,
                "{runtime}: {read} {acknowledged} {dead}"
            );
            for name in [
                "pool_redis_consumer_read_total",
                "pool_redis_consumer_acknowledged_total",
                "pool_redis_queue_acknowledged_total",
                "pool_jobs_completed_total",
            ] {
                assert!(
                    value(&last, name) <= count(name),
                    "{runtime}: {name} went back"
                );
            }
            if acknowledged + dead < JOBS {
                mid_run += usize::from(acknowledged > 0);
            } else {
                // Done: the queue agrees, and every run was timed.
                assert_eq!(count("pool_redis_queue_acknowledged_total"), acknowledged);
                assert_eq!(count("pool_redis_queue_dead_letters"), dead);
                assert_eq!(count("pool_redis_queue_length"), 0);
                assert_eq!(count("pool_redis_job_run_seconds_count"), JOBS);
                assert_eq!(count("pool_jobs_completed_total"), acknowledged);
                last = now;
                break;
            }
            last = now;
            assert!(Instant::now() < deadline, "{runtime}: not done in 120 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        let summary: serde_json::Value = serde_json::from_str(worker.interrupt().trim()).unwrap();
        for (field, metric) in [
            ("read", "pool_redis_consumer_read_total"),
            ("acknowledged", "pool_redis_consumer_acknowledged_total"),
            ("dead_lettered", "pool_redis_consumer_dead_lettered_total"),
            ("retried", "pool_redis_consumer_retried_total"),
        ] {
            assert_eq!(
                summary[field].as_u64(),
                Some(value(&last, metric)),
                "{runtime}: {field}"
            );
        }
        eprintln!("{runtime}: {mid_run} scrapes landed mid-run");
    }
}
