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

#[test]
fn a_short_run_adds_up_on_every_runtime() {
    for runtime in RUNTIMES {
        let output = sampleapp()
            .args([
                "--runtime",
                runtime,
                "--duration",
                "300ms",
                "--workers",
                "8",
            ])
            .args(["--fail-rate", "0.2", "--panic-rate", "0.1", "--json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        let summary = summary_of(&output);
        assert_eq!(summary["runtime"], runtime);
        assert_eq!(summary["stopped_by"], "duration");
        assert!(count(&summary, "completed") > 0, "{summary}");
        assert!(count(&summary, "failed") > 0, "{summary}");
        assert!(count(&summary, "panicked") > 0, "{summary}");
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
        &["--duration", "soon"],
        &["--no-such-flag"],
    ] {
        let output = sampleapp().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
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
            "--queue",
            "50",
            "--job-ms",
            "2000..2000",
        ]);
        run.wait_for("worker pool started");
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
