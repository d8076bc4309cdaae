//! `cargo run --release -p sampleapp -- --help`
// The summary is the output of this command-line tool: stdout is where it belongs.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use sampleapp::cli::Args;
use sampleapp::runtimes::run_on;
use sampleapp::stop::Stop;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = match std::env::var("RUST_LOG") {
        Ok(filter) => EnvFilter::try_new(filter),
        Err(_) => EnvFilter::try_new(&args.log_level),
    };
    let filter = match filter {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("error: invalid log level or filter: {error}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    quiet_job_panics();

    let stop = Stop::default();
    if let Err(error) = stop.install_handlers() {
        eprintln!("error: cannot handle Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    let summary = match run_on(&args, &stop) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string(&summary) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("error: cannot write the summary as JSON: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!("{summary}");
    }
    if summary.adds_up() {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: the outcomes do not add up to the jobs submitted");
        ExitCode::FAILURE
    }
}

/// Panics asked for by `--panic-rate` are contained by the pool and counted in the summary;
/// print them only at debug level. A panic on the main thread is the app's own bug and is
/// reported as usual.
fn quiet_job_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            report(info);
        } else {
            tracing::debug!("contained job panic: {info}");
        }
    }));
}
