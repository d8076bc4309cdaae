//! End to end, the distributed mode as an operator runs it: a publisher, three workers (one
//! per runtime) on one Redis queue, one worker killed with SIGKILL halfway and replaced, and
//! the status at the end accounting for every job.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pool_redis::doc_support::DocServer;
use serde_json::Value;

const JOBS: u64 = 3_000;

fn sampleapp(url: &str, args: &[&str]) -> Command {
    let mut command = sampleapp_on(url, args);
    command.args(["--queue", "e2e"]);
    command
}

/// The app on `url`, its queue as `args` say.
fn sampleapp_on(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sampleapp"));
    command
        .env_remove("RUST_LOG")
        .args(args)
        .args(["--redis", url, "--log-level", "warn"]);
    command
}

fn json_of(output: &[u8]) -> Value {
    let text = String::from_utf8_lossy(output);
    serde_json::from_str(text.trim()).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

fn status(url: &str) -> Value {
    let output = sampleapp(url, &["status", "--json", "--window", "0s"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    json_of(&output.stdout)
}

fn worker(url: &str, runtime: &str) -> Child {
    sampleapp(
        url,
        &[
            "work",
            "--json",
            "--runtime",
            runtime,
            "--workers",
            "8",
            "--visibility-timeout",
            "2s",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

fn number(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing from {value}"))
}

#[test]
fn publisher_workers_and_status_agree_on_every_job() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    let published = sampleapp(
        &url,
        &[
            "publish",
            "--json",
            "--count",
            &JOBS.to_string(),
            "--job-ms",
            "1..3",
            "--fail-rate",
            "0.01",
        ],
    )
    .output()
    .unwrap();
    assert!(published.status.success(), "{published:?}");
    assert_eq!(number(&json_of(&published.stdout), "published"), JOBS);

    let mut workers: Vec<Child> = ["tokio", "async-std", "smol"]
        .iter()
        .map(|runtime| worker(&url, runtime))
        .collect();
    // Halfway, one worker dies with the jobs it holds; a new one takes its place.
    let started = Instant::now();
    while number(&status(&url), "length") > JOBS / 2 {
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    workers[0].kill().unwrap();
    workers[0].wait().unwrap();
    workers[0] = worker(&url, "tokio");
    loop {
        let now = status(&url);
        if number(&now, "length") == 0
            && number(&now, "pending") == 0
            && number(&now, "delayed") == 0
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the queue did not drain: {now}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut acknowledged = 0;
    let mut dead_lettered = 0;
    for (index, child) in workers.into_iter().enumerate() {
        kill(
            Pid::from_raw(i32::try_from(child.id()).unwrap()),
            Signal::SIGINT,
        )
        .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "worker {index}: {output:?}");
        let summary = json_of(&output.stdout);
        acknowledged += number(&summary, "acknowledged");
        dead_lettered += number(&summary, "dead_lettered");
    }
    let end = status(&url);
    // Every job is accounted for: acknowledged once, or dead-lettered once, by whichever
    // worker (the killed one's work is in the queue's totals, not in any summary).
    assert_eq!(
        number(&end, "acknowledged_total") + number(&end, "dead_lettered_total"),
        JOBS,
        "{end}"
    );
    assert_eq!(
        number(&end, "dead_letters"),
        number(&end, "dead_lettered_total"),
        "{end}"
    );
    assert_eq!(
        (
            number(&end, "length"),
            number(&end, "pending"),
            number(&end, "delayed")
        ),
        (0, 0, 0),
        "{end}"
    );
    assert!(acknowledged <= number(&end, "acknowledged_total"));
    assert!(dead_lettered <= number(&end, "dead_lettered_total"));
    assert!(
        end["consumers"].as_array().unwrap().len() <= 1,
        "the living left the group: {end}"
    );
    // A window measures the rate between two looks: a number (none acknowledged now).
    let output = sampleapp(&url, &["status", "--json", "--window", "200ms"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let windowed = json_of(&output.stdout);
    assert_eq!(
        windowed["acknowledged_per_second"].as_f64(),
        Some(0.0),
        "{windowed}"
    );
    assert!(
        windowed["window_seconds"].as_f64().unwrap() >= 0.2,
        "{windowed}"
    );
}

#[test]
fn an_unreachable_redis_is_a_clear_error() {
    let output = sampleapp("redis://127.0.0.1:1", &["status"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot reach Redis at redis://127.0.0.1:1"),
        "{stderr}"
    );
}

#[test]
fn delayed_jobs_wait_and_show_in_the_status_then_run() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    let published = sampleapp(
        &url,
        &["publish", "--json", "--count", "50", "--delay", "1s"],
    )
    .output()
    .unwrap();
    assert!(published.status.success(), "{published:?}");
    let published = json_of(&published.stdout);
    assert_eq!(published["due"], "1 s after publishing", "{published}");
    let waiting = status(&url);
    assert_eq!(
        (number(&waiting, "delayed"), number(&waiting, "length")),
        (50, 0),
        "{waiting}"
    );
    assert!(waiting["next_due"].is_object(), "{waiting}");
    let text = sampleapp(&url, &["status", "--window", "0s"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("delayed: 50 (0 of them retries)"), "{text}");

    let mut consumer = worker(&url, "smol");
    let started = Instant::now();
    loop {
        let now = status(&url);
        if number(&now, "acknowledged_total") == 50 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the delayed jobs did not run: {now}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(
        Pid::from_raw(i32::try_from(consumer.id()).unwrap()),
        Signal::SIGINT,
    )
    .unwrap();
    assert!(consumer.wait().unwrap().success());
}

#[test]
fn publish_refuses_a_delay_and_a_time_together_and_a_bad_time() {
    for args in [
        &["publish", "--delay", "1s", "--at", "2030-01-01T00:00:00Z"][..],
        &["publish", "--at", "tomorrow"][..],
    ] {
        let output = sampleapp("redis://127.0.0.1:1", args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}

#[test]
fn work_refuses_queue_lists_that_cannot_be_served() {
    for args in [
        &["work", "--queues", "a=0"][..],
        &["work", "--queues", "a=x"][..],
        &["work", "--queues", "a=2,b", "--strict"][..],
        &["work", "--strict"][..],
        &["work", "--queues", "a", "--queue", "b"][..],
    ] {
        let output = sampleapp_on("redis://127.0.0.1:1", args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}

/// One worker serves two weighted queues, each published to by name, and drains both.
#[test]
fn one_worker_drains_weighted_queues() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    for queue in ["urgent", "bulk"] {
        let published = sampleapp_on(
            &url,
            &[
                "publish", "--queue", queue, "--count", "200", "--job-ms", "0..1",
            ],
        )
        .output()
        .unwrap();
        assert!(published.status.success(), "{published:?}");
    }
    let worker = sampleapp_on(&url, &["work", "--json", "--queues", "urgent=3,bulk=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    for queue in ["urgent", "bulk"] {
        loop {
            let output = sampleapp_on(
                &url,
                &["status", "--json", "--window", "0s", "--queue", queue],
            )
            .output()
            .unwrap();
            let now = json_of(&output.stdout);
            if number(&now, "length") == 0 && number(&now, "pending") == 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{queue} did not drain: {now}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    kill(
        Pid::from_raw(i32::try_from(worker.id()).unwrap()),
        Signal::SIGINT,
    )
    .unwrap();
    let output = worker.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let worked = json_of(&output.stdout);
    assert_eq!(worked["queue"], "urgent,bulk", "{worked}");
    assert_eq!(number(&worked, "acknowledged"), 400, "{worked}");
}

#[test]
fn two_workers_share_one_heartbeat_schedule() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    let beating = |runtime: &str| {
        sampleapp(
            &url,
            &[
                "work",
                "--json",
                "--runtime",
                runtime,
                "--heartbeat",
                "200ms",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
    };
    let started = Instant::now();
    let workers = [beating("tokio"), beating("smol")];
    loop {
        let now = status(&url);
        // Each tick once: never more jobs than the ticks since the workers started (at most
        // elapsed / period + 1) and the next one, enqueued ahead.
        let ticks = started.elapsed().as_millis() / 200 + 2;
        let beats = number(&now, "acknowledged_total") + number(&now, "delayed");
        assert!(
            u128::from(beats) <= ticks,
            "{beats} jobs in {ticks} ticks: {now}"
        );
        if number(&now, "acknowledged_total") >= 10 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no heartbeats: {now}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for child in workers {
        kill(
            Pid::from_raw(i32::try_from(child.id()).unwrap()),
            Signal::SIGINT,
        )
        .unwrap();
        assert!(child.wait_with_output().unwrap().status.success());
    }
}

#[test]
fn a_bad_heartbeat_is_refused() {
    let output = sampleapp(
        "redis://127.0.0.1:1",
        &["work", "--heartbeat", "61 * * * *"],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

/// A long job reports its progress, and `status --job KEY` shows the latest report.
#[test]
fn status_shows_a_running_jobs_progress() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = runtime.block_on(async {
        let queue = pool_redis::Queue::new("e2e");
        let producer = pool_redis::Producer::connect(&url, queue).await.unwrap();
        let long = sampleapp::distributed::sim_job::SimJob {
            work_ms: 3_000,
            fail: false,
        };
        producer.enqueue(&long).await.unwrap()
    });
    let mut worker = worker(&url, "tokio");
    let started = Instant::now();
    let progress = loop {
        let output = sampleapp(&url, &["status", "--json", "--job", &key.to_string()])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let job = json_of(&output.stdout);
        if let Some(worked) = job["progress"]["worked_ms"].as_u64() {
            break (worked, job["progress"]["of_ms"].as_u64());
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no progress shown: {job}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        progress.0 >= 100 && progress.1 == Some(3_000),
        "{progress:?}"
    );
    worker.kill().unwrap();
    worker.wait().unwrap();
}

/// The operator's command line on dead letters: list, show (by id or job key), re-queue one,
/// delete one, re-queue and delete all; an id that names none is an error that says so.
#[test]
fn dead_letters_are_listed_shown_requeued_and_deleted() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    let run = |args: &[&str]| {
        let output = sampleapp(&url, args).output().unwrap();
        (
            output.status.code(),
            json_of_or_text(&output.stdout),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, ..) = run(&[
        "publish",
        "--count",
        "5",
        "--fail-rate",
        "1",
        "--job-ms",
        "0..0",
    ]);
    assert_eq!(code, Some(0));
    let mut worker = sampleapp(&url, &["work", "--max-attempts", "1", "--workers", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_status(&url, "dead_letters", 5);
    let listed = run(&["dead-letters", "list", "--json"]).1;
    let letters = listed.as_array().expect("a list");
    assert_eq!(letters.len(), 5);
    assert!(
        letters[0]["error"]
            .as_str()
            .unwrap()
            .contains("published to fail")
    );
    let (first, second) = (&letters[0], &letters[1]);
    let by_key = run(&[
        "dead-letters",
        "show",
        "--json",
        first["key"].as_str().unwrap(),
    ])
    .1;
    assert_eq!(by_key["id"], first["id"]);
    let by_id = run(&[
        "dead-letters",
        "show",
        "--json",
        first["id"].as_str().unwrap(),
    ])
    .1;
    assert_eq!(by_id["key"], first["key"]);
    let (code, _, stderr) = run(&["dead-letters", "show", "1-1"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("no dead letter 1-1"), "{stderr}");

    let deleted = run(&[
        "dead-letters",
        "delete",
        "--json",
        first["id"].as_str().unwrap(),
        "2-2",
    ]);
    assert_eq!(deleted.0, Some(1), "one of two named none");
    assert_eq!(deleted.1["count"], 1);
    assert_eq!(deleted.1["not_found"], serde_json::json!(["2-2"]));
    // Re-queued, it fails again (it was published to fail) and comes back as a new letter.
    let requeued = run(&[
        "dead-letters",
        "requeue",
        "--json",
        second["key"].as_str().unwrap(),
    ]);
    assert_eq!(
        (requeued.0, requeued.1["count"].as_u64()),
        (Some(0), Some(1))
    );
    wait_for_status(&url, "dead_lettered_total", 6);
    let all = run(&["dead-letters", "requeue", "--all", "--json"]).1;
    assert_eq!(all["count"], 4);
    wait_for_status(&url, "dead_lettered_total", 10);
    let gone = run(&["dead-letters", "delete", "--all", "--json"]).1;
    assert_eq!(gone["count"], 4);
    assert_eq!(number(&status(&url), "dead_letters"), 0);
    worker.kill().unwrap();
    worker.wait().unwrap();
}

/// `status --window` measures the rate it promises, and `status --watch` prints a look per
/// window, with its rates, until Ctrl-C.
#[test]
fn status_measures_rates_once_or_watching() {
    let Some(server) = DocServer::start() else {
        eprintln!("SKIPPED: redis-server is not installed");
        return;
    };
    let url = server.url();
    let mut publisher = sampleapp(&url, &["publish", "--rate", "500", "--duration", "60s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut worker = worker(&url, "tokio");
    let started = Instant::now();
    let once = loop {
        let output = sampleapp(&url, &["status", "--json", "--window", "500ms"])
            .output()
            .unwrap();
        let once = json_of(&output.stdout);
        if once["acknowledged_per_second"]
            .as_f64()
            .is_some_and(|rate| rate > 0.0)
        {
            break once;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no rate: {once}"
        );
    };
    assert!(once["window_seconds"].as_f64().unwrap() >= 0.5, "{once}");
    assert_eq!(once["dead_lettered_per_second"].as_f64(), Some(0.0));

    let mut watching = sampleapp(&url, &["status", "--watch", "--json", "--window", "200ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(i32::try_from(watching.id()).unwrap());
    let stdout = watching.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let mut rates = Vec::new();
    while rates.len() < 3 {
        let line = lines.next().expect("a look per window").unwrap();
        let look = json_of(line.as_bytes());
        rates.push(look["acknowledged_per_second"].as_f64().expect("a rate"));
    }
    kill(pid, Signal::SIGINT).unwrap();
    assert!(lines.all(|line| line.is_ok()), "it ends after Ctrl-C");
    assert!(watching.wait().unwrap().success());
    assert!(rates.iter().any(|rate| *rate > 0.0), "{rates:?}");
    for child in [&mut publisher, &mut worker] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// Stdout as JSON if it is, else as a JSON string.
fn json_of_or_text(output: &[u8]) -> Value {
    let text = String::from_utf8_lossy(output);
    serde_json::from_str(text.trim()).unwrap_or_else(|_| Value::String(text.into_owned()))
}

/// Waits (up to a minute) until the status's `field` reaches `at_least`.
fn wait_for_status(url: &str, field: &str, at_least: u64) {
    let started = Instant::now();
    while number(&status(url), field) < at_least {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            status(url)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
