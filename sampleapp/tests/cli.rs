//! End-to-end: the built binary, on each runtime, as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

const RUNTIMES: [&str; 3] = ["tokio", "async-std", "smol"];

fn sampleapp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sampleapp"));
    command.env_remove("RUST_LOG");
    command
}

fn summary_of(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|error| {
        panic!(
            "stdout is not one JSON object ({error}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn count(summary: &Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing from {summary}"))
}

fn assert_adds_up(summary: &Value) {
    let outcomes: u64 = [
        "completed",
        "failed",
        "cancelled",
        "panicked",
        "timed_out",
        "aborted",
        "not_started",
    ]
    .iter()
    .map(|field| count(summary, field))
    .sum();
    assert_eq!(count(summary, "submitted"), outcomes, "{summary}");
}

/// A 300 ms run of 8 workers on `runtime` with `args`: its JSON summary, once it succeeded.
fn short_run(runtime: &str, args: &[&str]) -> Value {
    let output = sampleapp()
        .args([
            "--runtime",
            runtime,
            "--duration",
            "300ms",
            "--workers",
            "8",
        ])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success(), "{runtime}: {output:?}");
    summary_of(&output)
}

#[test]
fn a_short_run_adds_up_on_every_runtime() {
    for runtime in RUNTIMES {
        let summary = short_run(runtime, &["--fail-rate", "0.2", "--panic-rate", "0.1"]);
        assert_eq!(summary["runtime"], runtime);
        assert_eq!(summary["stopped_by"], "duration");
        assert!(count(&summary, "completed") > 0, "{summary}");
        assert!(count(&summary, "failed") > 0, "{summary}");
        assert!(count(&summary, "panicked") > 0, "{summary}");
        assert_adds_up(&summary);
    }
}

/// Blocking jobs run beside async ones, and the summary gives queue-wait and run-time
/// percentiles in order.
#[test]
fn blocking_jobs_and_timings_on_every_runtime() {
    for runtime in RUNTIMES {
        let summary = short_run(runtime, &["--blocking-rate", "0.5", "--job-ms", "1..2"]);
        assert!(count(&summary, "completed") > 0, "{summary}");
        assert_adds_up(&summary);
        for timing in ["queue_wait_ms", "run_ms"] {
            let at = |p: &str| summary[timing][p].as_f64().expect("a percentile");
            assert!(
                at("p50") <= at("p90") && at("p90") <= at("p99") && at("p99") <= at("max"),
                "{summary}"
            );
        }
        // Every job works at least 1 ms.
        assert!(
            summary["run_ms"]["p50"].as_f64().unwrap() >= 1.0,
            "{summary}"
        );
    }
}

/// An elastic pool starts with its minimum and grows under a full queue, never past its size.
#[test]
fn an_elastic_pool_grows_on_every_runtime() {
    for runtime in RUNTIMES {
        let output = sampleapp()
            .args(["--runtime", runtime, "--duration", "300ms", "--json"])
            .args([
                "--workers",
                "2..8",
                "--idle-timeout",
                "50ms",
                "--job-ms",
                "1..2",
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        let summary = summary_of(&output);
        assert_eq!(
            (count(&summary, "min_workers"), count(&summary, "workers")),
            (2, 8),
            "{summary}"
        );
        let peak = count(&summary, "peak_live_workers");
        assert!(
            (3..=8).contains(&peak),
            "it grew, within its size: {summary}"
        );
        assert_adds_up(&summary);
    }
}

#[test]
fn a_job_count_stops_the_run_on_every_runtime() {
    for runtime in RUNTIMES {
        let output = sampleapp()
            .args([
                "--runtime",
                runtime,
                "--jobs",
                "500",
                "--workers",
                "16",
                "--json",
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        let summary = summary_of(&output);
        assert_eq!(count(&summary, "submitted"), 500, "{summary}");
        assert_eq!(count(&summary, "completed"), 500, "{summary}");
        assert_eq!(summary["stopped_by"], "jobs");
        assert_adds_up(&summary);
    }
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    for args in [
        &["--workers", "0"][..],
        &["--runtime", "go"],
        &["--job-ms", "5..1"],
        &["--fail-rate", "2"],
        &["--blocking-rate", "1.5"],
        &["--duration", "soon"],
        &["--no-such-flag"],
    ] {
        let output = sampleapp().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
    }
}

/// Flags that are wrong together, absurd, or negative: exit 2, and the message says what is
/// wrong.
#[test]
fn nonsense_values_exit_2_saying_why() {
    for (args, why) in [
        (
            &["--fail-rate", "0.7", "--panic-rate", "0.7"][..],
            "more than 1",
        ),
        (&["--job-ms", "0..18446744073709551615"], "hour"),
        (&["--duration", "-1s"], "negative"),
        (&["--fail-rate", "-0.5"], "negative"),
        (&["--job-timeout", "0s"], "longer than zero"),
        // The queue's name belongs to the subcommands.
        (&["--queue", "sampleapp"], "--capacity"),
        (&["dead-letters", "requeue"], "--all"),
        (
            &["dead-letters", "delete", "--all", "1-0"],
            "cannot be used with",
        ),
        (
            &[
                "status",
                "--watch",
                "--job",
                "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            ],
            "cannot be used with",
        ),
        (
            &["dashboard", "--listen", "localhost"],
            "invalid socket address",
        ),
    ] {
        let output = sampleapp().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
}

/// `--duration` bounds publishing even while the queue has room: 0s publishes nothing, and a
/// queue far larger than a short run can fill is not filled.
#[test]
fn the_duration_bounds_publishing_on_every_runtime() {
    for runtime in RUNTIMES {
        let output = sampleapp()
            .args(["--runtime", runtime, "--duration", "0s", "--json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        let summary = summary_of(&output);
        assert_eq!(count(&summary, "submitted"), 0, "{summary}");
        assert_eq!(summary["stopped_by"], "duration");

        let output = sampleapp()
            .args(["--runtime", runtime, "--duration", "20ms", "--json"])
            .args([
                "--workers",
                "2",
                "--capacity",
                "1000000",
                "--job-ms",
                "0..0",
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        let summary = summary_of(&output);
        assert_eq!(summary["stopped_by"], "duration", "{summary}");
        assert!(count(&summary, "submitted") < 1_000_000, "{summary}");
        assert_adds_up(&summary);
    }
}

/// Logs piped to a file carry no colour codes.
#[test]
fn no_colour_when_stderr_is_not_a_terminal() {
    let output = sampleapp()
        .args(["--duration", "10ms", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("worker pool started"), "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "colour codes in a pipe: {stderr:?}"
    );
}

/// A reader that goes away (`sampleapp | true`) makes the app leave quietly, not panic.
#[test]
fn a_closed_stdout_is_no_crash() {
    let mut child = sampleapp()
        .args(["--duration", "10ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{:?} {stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked at"), "{stderr}");
}

/// On a terminal, log lines and the progress bar take turns: every log line starts on a line
/// of its own, never after a frame of the bar. (Run under `script`, which gives the app a
/// pseudo-terminal.)
#[test]
fn log_lines_do_not_garble_the_progress_bar() {
    let command = format!(
        "{} --duration 400ms --workers 4",
        env!("CARGO_BIN_EXE_sampleapp")
    );
    let output = match Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("RUST_LOG")
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!("`script` (util-linux) runs the app on a terminal: {error}"),
    };
    assert!(output.status.success(), "{output:?}");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("done"), "no progress bar drawn: {screen:?}");
    let log_lines: Vec<&str> = screen
        .split('\n')
        .filter(|line| line.contains(" INFO "))
        .collect();
    assert!(log_lines.len() >= 3, "{screen:?}");
    for line in log_lines {
        // What the terminal shows of the line: the text after its last carriage return.
        let line = line.trim_end_matches('\r');
        let shown = strip_escapes(line.rsplit('\r').next().unwrap_or(line));
        assert!(
            shown.starts_with(|first: char| first.is_ascii_digit()),
            "a log line drawn after a frame of the bar: {shown:?}"
        );
    }
}

/// `text` without its ANSI escape sequences (`ESC [ ... letter`).
fn strip_escapes(text: &str) -> String {
    let mut shown = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            shown.push(c);
        }
    }
    shown
}

/// One Ctrl-C after `--duration` has elapsed drains, as the help says; it does not stop now.
#[test]
fn one_sigint_after_the_duration_drains_on_every_runtime() {
    for runtime in RUNTIMES {
        let mut run = Running::start(&[
            "--runtime",
            runtime,
            "--duration",
            "100ms",
            "--workers",
            "2",
            "--capacity",
            "20",
            "--job-ms",
            "200..200",
        ]);
        run.wait_for("publisher stopped");
        run.interrupt();
        let summary = run.finish();
        assert_eq!(summary["stopped_now"], false, "{summary}");
        assert_eq!(count(&summary, "not_started"), 0, "drained: {summary}");
        assert_adds_up(&summary);
    }
}

/// Ctrl-C during a run drains the pool and still prints a summary that adds up.
#[test]
fn sigint_drains_and_reports_on_every_runtime() {
    for runtime in RUNTIMES {
        let mut run =
            Running::start(&["--runtime", runtime, "--duration", "60s", "--workers", "8"]);
        run.wait_for("worker pool started");
        run.interrupt();
        let summary = run.finish();
        assert_eq!(summary["stopped_by"], "ctrl-c", "{summary}");
        assert_eq!(summary["stopped_now"], false, "{summary}");
        assert_eq!(count(&summary, "not_started"), 0, "drained: {summary}");
        assert_adds_up(&summary);
    }
}

/// A second Ctrl-C, while draining, stops the pool now: the queued jobs are handed back.
#[test]
fn second_sigint_stops_now_and_hands_jobs_back_on_every_runtime() {
    for runtime in RUNTIMES {
        // Slow jobs and a full queue: the drain would take minutes.
        let mut run = Running::start(&[
            "--runtime",
            runtime,
            "--duration",
            "60s",
            "--workers",
            "2",
            "--capacity",
            "50",
            "--job-ms",
            "2000..2000",
        ]);
        // Not "worker pool started": jobs must be queued before the first Ctrl-C.
        run.wait_for("queue full");
        run.interrupt();
        run.wait_for("interrupted: draining");
        run.interrupt();
        let summary = run.finish();
        assert_eq!(summary["stopped_now"], true, "{summary}");
        let handed_back = count(&summary, "handed_back");
        assert!(handed_back > 0, "{summary}");
        assert_eq!(count(&summary, "not_started"), handed_back, "{summary}");
        assert_adds_up(&summary);
    }
}

/// A run of the binary whose stderr is read line by line as it comes.
struct Running {
    child: Child,
    lines: Receiver<String>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = sampleapp()
            .args(args)
            .arg("--json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Waits (generously) for a line of stderr that contains `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(error) => panic!("no line with {text:?} on stderr: {error}"),
            }
        }
    }

    fn interrupt(&self) {
        let pid = i32::try_from(self.child.id()).expect("a pid fits in i32");
        kill(Pid::from_raw(pid), Signal::SIGINT).expect("SIGINT sent");
    }

    /// Waits (generously) for the exit, which must be clean, and returns the summary.
    fn finish(mut self) -> Value {
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no exit after SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = self.child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        summary_of(&output)
    }
}
