//! The command line: what a run is asked to do.

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Publishes simulated jobs into a worker pool until told to stop, then drains it and prints
/// a summary.
///
/// Stop it with --duration, --jobs, Ctrl-C (once: drain gracefully; twice: stop now and hand
/// back the jobs that never started) or, when stdin is a terminal, Enter.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// The async runtime to run the pool on.
    #[arg(long, value_enum, default_value_t = Runtime::Tokio)]
    pub runtime: Runtime,

    /// How many workers run jobs at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub workers: u32,

    /// How many jobs may wait in the queue [default: 100 per worker].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub queue: Option<u32>,

    /// Stop publishing after this long, e.g. 3s, 500ms, 1m [default: 3s, or no limit with --jobs].
    #[arg(long, value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,

    /// Stop after this many jobs (the pool's max_jobs).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,

    /// How long each job works, in milliseconds: a random value in MIN..MAX (inclusive).
    #[arg(long, default_value = "1..5", value_parser = parse_range)]
    pub job_ms: MillisRange,

    /// The share of jobs that fail, from 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fail_rate: f64,

    /// The share of jobs that panic, from 0 to 1 (the pool contains them).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub panic_rate: f64,

    /// Stop any job that works longer than this, e.g. 2ms.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub job_timeout: Option<Duration>,

    /// Log level (error, warn, info, debug, trace) or a full filter; RUST_LOG wins if set.
    #[arg(long, default_value = "info")]
    pub log_level: String,

    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The runtimes the app can run on: the same app code on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Runtime {
    /// tokio's multi-threaded runtime.
    Tokio,
    /// async-std (discontinued upstream; kept working).
    AsyncStd,
    /// smol, on an executor run by one thread per core.
    Smol,
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tokio => "tokio",
            Self::AsyncStd => "async-std",
            Self::Smol => "smol",
        })
    }
}

/// An inclusive range of milliseconds, as `MIN..MAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MillisRange(pub RangeInclusive<u64>);

fn parse_range(text: &str) -> Result<MillisRange, String> {
    let (min, max) = text
        .split_once("..")
        .ok_or_else(|| format!("expected MIN..MAX, like 1..5, not {text:?}"))?;
    let number = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|error| format!("{part:?} is not a whole number of milliseconds: {error}"))
    };
    let (min, max) = (number(min)?, number(max)?);
    if min > max {
        return Err(format!("the range {min}..{max} is empty"));
    }
    Ok(MillisRange(min..=max))
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|error| format!("{text:?} is not a number: {error}"))?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{rate} is not between 0 and 1"))
    }
}

impl Args {
    /// How long to publish: the flag, or 3 s unless a job count bounds the run.
    pub fn publish_for(&self) -> Option<Duration> {
        match (self.duration, self.jobs) {
            (Some(duration), _) => Some(duration),
            (None, Some(_)) => None,
            (None, None) => Some(Duration::from_secs(3)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_reject_nonsense() {
        assert_eq!(parse_range("1..5"), Ok(MillisRange(1..=5)));
        assert_eq!(parse_range("3..3"), Ok(MillisRange(3..=3)));
        assert!(parse_range("5..1").is_err());
        assert!(parse_range("5").is_err());
        assert!(parse_range("a..b").is_err());
    }

    #[test]
    fn rates_are_shares() {
        assert_eq!(parse_rate("0.25"), Ok(0.25));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("-0.1").is_err());
    }

    #[test]
    fn the_run_is_bounded_by_default() {
        let args = Args::parse_from(["sampleapp"]);
        assert_eq!(args.publish_for(), Some(Duration::from_secs(3)));
        let args = Args::parse_from(["sampleapp", "--jobs", "10"]);
        assert_eq!(args.publish_for(), None);
    }
}
