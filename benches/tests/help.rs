//! Every runner answers `--help` with its usage and refuses an unknown flag with a message
//! and exit code 2, as clap does, instead of panicking.

use std::process::Command;

const RUNNERS: [&str; 6] = [
    env!("CARGO_BIN_EXE_ratio"),
    env!("CARGO_BIN_EXE_latency"),
    env!("CARGO_BIN_EXE_resize"),
    env!("CARGO_BIN_EXE_memory"),
    env!("CARGO_BIN_EXE_one"),
    env!("CARGO_BIN_EXE_distributed"),
];

#[test]
fn every_runner_answers_help_and_refuses_bad_flags() {
    for runner in RUNNERS {
        let help = Command::new(runner).arg("--help").output().unwrap();
        assert!(help.status.success(), "{runner} --help: {help:?}");
        let usage = String::from_utf8_lossy(&help.stdout);
        assert!(usage.contains("Usage:"), "{runner}: {usage}");

        let refused = Command::new(runner).arg("--no-such-flag").output().unwrap();
        assert_eq!(refused.status.code(), Some(2), "{runner}: {refused:?}");
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("--no-such-flag"), "{runner}: {said}");
        assert!(!said.contains("panicked"), "{runner}: {said}");
    }
}
