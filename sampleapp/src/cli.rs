//! The command line: what a run is asked to do.

use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use clap::{CommandFactory, Parser, ValueEnum};

/// Publishes simulated jobs into a worker pool until told to stop, then drains it and prints
/// a summary.
///
/// Stop it with --duration, --jobs, Ctrl-C (once: drain gracefully; twice: stop now and hand
/// back the jobs that never started) or, when stdin is a terminal, Enter.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// The distributed mode (a Redis queue shared by processes); without one, the local demo.
    #[command(subcommand)]
    pub command: Option<crate::distributed::Command>,

    /// The async runtime to run the pool on.
    #[arg(long, value_enum, default_value_t = Runtime::Tokio)]
    pub runtime: Runtime,

    /// How many workers run jobs at once: N, or MIN..MAX for an elastic pool that starts
    /// with MIN, grows to MAX while jobs wait, and retires idle workers after --idle-timeout.
    #[arg(long, default_value = "100", value_parser = parse_workers, allow_hyphen_values = true)]
    pub workers: Workers,

    /// With --workers MIN..MAX: how long a worker above MIN waits idle before it retires,
    /// e.g. 500ms [default: 1s].
    #[arg(long, value_parser = parse_timeout, allow_hyphen_values = true)]
    pub idle_timeout: Option<Duration>,

    /// How many jobs may wait in the pool's queue [default: 100 per worker].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub capacity: Option<u32>,

    /// Not a flag of the local demo: it says where the queue flags are.
    #[arg(long, hide = true, value_parser = no_queue_flag_here)]
    pub queue: Option<String>,

    /// Stop publishing after this long, e.g. 3s, 500ms, 1m; 0s publishes nothing [default: 3s,
    /// or no limit with --jobs].
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
    pub duration: Option<Duration>,

    /// Stop after this many jobs (the pool's max_jobs).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,

    /// How long each job works, in milliseconds: a random value in MIN..MAX (inclusive), at
    /// most an hour.
    #[arg(long, default_value = "1..5", value_parser = parse_range, allow_hyphen_values = true)]
    pub job_ms: MillisRange,

    /// The share of jobs that fail, from 0 to 1; with --panic-rate, at most 1 in all.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate, allow_hyphen_values = true)]
    pub fail_rate: f64,

    /// The share of jobs that panic, from 0 to 1 (the pool contains them); with --fail-rate,
    /// at most 1 in all.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate, allow_hyphen_values = true)]
    pub panic_rate: f64,

    /// The share of jobs whose work is blocking code (a synchronous sleep, as a blocking
    /// client would do), from 0 to 1: they run as blocking work on the runtime's threads for
    /// it, not on its async workers.
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate, allow_hyphen_values = true)]
    pub blocking_rate: f64,

    /// Stop any job that works longer than this, e.g. 2ms (more than zero).
    #[arg(long, value_parser = parse_timeout, allow_hyphen_values = true)]
    pub job_timeout: Option<Duration>,

    /// Log level (error, warn, info, debug, trace) or a full filter; RUST_LOG wins if set.
    #[arg(long, default_value = "info", global = true)]
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

/// The pool's workers: a fixed number, or an elastic range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers {
    /// The fewest workers: an elastic pool's minimum, or the fixed number.
    pub min: usize,
    /// The most workers: the pool's size.
    pub max: usize,
    /// Whether it was given as a range: idle workers above `min` retire.
    pub elastic: bool,
}

/// The most workers the app runs: a typo must not spawn millions of tasks.
pub const MAX_WORKERS: usize = 100_000;

/// How long an elastic pool's idle workers wait before they retire, unless told.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(1);

fn parse_workers(text: &str) -> Result<Workers, String> {
    not_negative(text)?;
    let number = |part: &str| {
        let workers = part
            .trim()
            .parse::<usize>()
            .map_err(|error| format!("{part:?} is not a whole number of workers: {error}"))?;
        if (1..=MAX_WORKERS).contains(&workers) {
            Ok(workers)
        } else {
            Err(format!("{workers} workers is not in 1..={MAX_WORKERS}"))
        }
    };
    match text.split_once("..") {
        None => {
            let workers = number(text)?;
            Ok(Workers {
                min: workers,
                max: workers,
                elastic: false,
            })
        }
        Some((min, max)) => {
            let (min, max) = (number(min)?, number(max)?);
            if min > max {
                return Err(format!("the range {min}..{max} is empty"));
            }
            Ok(Workers {
                min,
                max,
                elastic: true,
            })
        }
    }
}

/// An inclusive range of milliseconds, as `MIN..MAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MillisRange(pub RangeInclusive<u64>);

/// The longest a simulated job may work: a typo must not make a run that never drains.
pub const MAX_JOB_MS: u64 = 3_600_000;

pub(crate) fn parse_range(text: &str) -> Result<MillisRange, String> {
    not_negative(text)?;
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
    if max > MAX_JOB_MS {
        return Err(format!(
            "{max} ms is more than an hour ({MAX_JOB_MS} ms): the run would never drain"
        ));
    }
    Ok(MillisRange(min..=max))
}

/// Flags that take a value accept a leading `-`, so that a negative value reaches its parser
/// and gets a message that says what is wrong, not "unexpected argument".
/// `--queue` belongs to the subcommands; at the top level it was once the capacity.
fn no_queue_flag_here(_: &str) -> Result<String, String> {
    Err(
        "--queue names a Redis queue, after a subcommand (sampleapp work --queue NAME); \
         the local demo's queue capacity is --capacity"
            .to_owned(),
    )
}

fn not_negative(text: &str) -> Result<(), String> {
    if text.starts_with('-') {
        Err(format!(
            "{text:?} is negative: the value must be zero or more"
        ))
    } else {
        Ok(())
    }
}

pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    not_negative(text)?;
    humantime::parse_duration(text).map_err(|error| format!("{text:?} is not a duration: {error}"))
}

pub(crate) fn parse_schedule(text: &str) -> Result<pool_redis::Schedule, String> {
    let schedule = if text.contains(' ') {
        pool_redis::Schedule::cron(text)
    } else {
        let period = parse_duration(text)?;
        pool_redis::Schedule::every(period)
    };
    schedule.map_err(|error| error.to_string())
}

pub(crate) fn parse_time(text: &str) -> Result<std::time::SystemTime, String> {
    humantime::parse_rfc3339_weak(text)
        .map_err(|error| format!("{text:?} is not a time like 2026-12-24T18:00:00Z: {error}"))
}

pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = parse_duration(text)?;
    if timeout.is_zero() {
        return Err("a job timeout must be longer than zero".to_owned());
    }
    Ok(timeout)
}

pub(crate) fn parse_rate(text: &str) -> Result<f64, String> {
    not_negative(text)?;
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
    /// Parses the command line, and exits with clap's message and code 2 on flags that are
    /// wrong alone or together.
    pub fn parse_checked() -> Self {
        let args = Self::parse();
        if let Err(message) = args.check() {
            Self::command()
                .error(clap::error::ErrorKind::ArgumentConflict, message)
                .exit();
        }
        args
    }

    /// What no single flag's parser can see.
    fn check(&self) -> Result<(), String> {
        if self.fail_rate + self.panic_rate > 1.0 {
            return Err(format!(
                "--fail-rate {} and --panic-rate {} add up to more than 1",
                self.fail_rate, self.panic_rate
            ));
        }
        if self.idle_timeout.is_some() && !self.workers.elastic {
            return Err(
                "--idle-timeout needs an elastic pool: --workers MIN..MAX, like 4..64".to_owned(),
            );
        }
        if let Some(crate::distributed::Command::Work(work)) = &self.command {
            work.check()?;
        }
        Ok(())
    }

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
    fn workers_are_a_number_or_a_range() {
        let fixed = Workers {
            min: 8,
            max: 8,
            elastic: false,
        };
        assert_eq!(parse_workers("8"), Ok(fixed));
        let elastic = parse_workers("2..16").unwrap();
        assert_eq!((elastic.min, elastic.max, elastic.elastic), (2, 16, true));
        assert!(parse_workers("0").is_err());
        assert!(parse_workers("0..4").is_err());
        assert!(parse_workers("8..2").unwrap_err().contains("empty"));
        assert!(parse_workers("-3").unwrap_err().contains("negative"));
        assert!(parse_workers("1..1000000").is_err());
        let lone = Args::parse_from(["sampleapp", "--idle-timeout", "1s"]);
        assert!(lone.check().unwrap_err().contains("MIN..MAX"));
        let elastic = Args::parse_from(["sampleapp", "--workers", "2..8", "--idle-timeout", "1s"]);
        assert_eq!(elastic.check(), Ok(()));
    }

    #[test]
    fn rates_are_shares() {
        assert_eq!(parse_rate("0.25"), Ok(0.25));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("-0.1").is_err());
    }

    #[test]
    fn negative_and_absurd_values_say_what_is_wrong() {
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(parse_rate("-0.1").unwrap_err().contains("negative"));
        assert!(parse_range("-1..5").unwrap_err().contains("negative"));
        assert!(
            parse_range(&format!("1..{}", u64::MAX))
                .unwrap_err()
                .contains("hour")
        );
        assert!(parse_timeout("0s").is_err());
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        let both = Args::parse_from(["sampleapp", "--fail-rate", "0.7", "--panic-rate", "0.7"]);
        assert!(both.check().unwrap_err().contains("more than 1"));
    }

    #[test]
    fn the_run_is_bounded_by_default() {
        let args = Args::parse_from(["sampleapp"]);
        assert_eq!(args.publish_for(), Some(Duration::from_secs(3)));
        let args = Args::parse_from(["sampleapp", "--jobs", "10"]);
        assert_eq!(args.publish_for(), None);
    }
}
