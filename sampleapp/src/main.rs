//! `cargo run --release -p sampleapp -- --help`

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use sampleapp::cli::Args;
use sampleapp::log_writer::LogWriter;
use sampleapp::runtimes::run_on;
use sampleapp::stop::Stop;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let args = Args::parse_checked();
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
    // Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(LogWriter)
        .init();
    quiet_job_panics();

    let stop = Stop::default();
    if let Err(error) = stop.install_handlers() {
        eprintln!("error: cannot handle Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }
    if let Some(command) = &args.command {
        return sampleapp::distributed::run(command, &stop);
    }
    let summary = match run_on(&args, &stop) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let text = if args.json {
        match serde_json::to_string(&summary) {
            Ok(json) => json,
            Err(error) => {
                eprintln!("error: cannot write the summary as JSON: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        summary.to_string()
    };
    if let Err(error) = writeln!(std::io::stdout().lock(), "{text}") {
        // A reader that went away (`sampleapp | head`) is no error of ours: leave quietly,
        // as command-line tools do.
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::SUCCESS;
        }
        eprintln!("error: cannot write the summary: {error}");
        return ExitCode::FAILURE;
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
