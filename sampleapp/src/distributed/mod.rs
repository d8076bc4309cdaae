//! The distributed mode: `publish` jobs into a Redis queue, `work` them off it in any number
//! of processes on any runtime, and look at the queue's `status`. Built on `pool-redis`.

pub mod cli;
pub mod dashboard;
pub mod dead_letters;
pub mod metrics_endpoint;
pub mod publish;
pub mod sim_job;
pub mod status;
pub mod work;

use std::process::ExitCode;

pub use cli::{Command, DashboardArgs, DeadLettersArgs, PublishArgs, StatusArgs, WorkArgs};

use crate::stop::Stop;

/// Runs a distributed subcommand; its exit code.
pub fn run(command: &Command, stop: &Stop) -> ExitCode {
    let result = match command {
        Command::Publish(args) => publish::run(args, stop),
        Command::Work(args) => work::run(args, stop),
        Command::Status(args) => status::run(args, stop),
        Command::DeadLetters(args) => dead_letters::run(args),
        Command::Dashboard(args) => dashboard::run(args, stop),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The error and each of its causes, on one line.
            let mut text = error.to_string();
            let mut source = error.source();
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("error: {text}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `value` as one JSON object, or `text`, on stdout (a reader that went away, as in
/// `sampleapp status | head`, is no error).
pub(crate) fn print(json: bool, value: &impl serde::Serialize, text: &str) {
    use std::io::Write;
    let line = if json {
        match serde_json::to_string(value) {
            Ok(line) => line,
            Err(error) => {
                eprintln!("error: cannot write JSON: {error}");
                return;
            }
        }
    } else {
        text.to_owned()
    };
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
