//! The distributed subcommands' flags.

use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use pool_redis::{Queue, Queues};

use crate::cli::{MillisRange, Runtime};

/// The distributed mode's subcommands; without one, the app runs its local demo.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enqueue simulated jobs into a Redis queue, at a rate or as fast as Redis takes them.
    Publish(PublishArgs),
    /// Run a consumer: take jobs off the queue into a local pool, on any runtime. Ctrl-C
    /// drains; a second Ctrl-C gives the unstarted jobs back to the queue at once.
    Work(WorkArgs),
    /// Show the queue: length, consumers with what they hold, dead letters, throughput.
    Status(StatusArgs),
    /// Look at the queue's dead letters, put them back on the queue, or delete them.
    DeadLetters(DeadLettersArgs),
    /// Serve a web dashboard of every queue on the server: numbers, throughput, consumers,
    /// dead letters (re-queue and delete), and any job by its key; and /metrics.
    Dashboard(DashboardArgs),
}

/// `dashboard`'s flags.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// The Redis server whose queues it shows.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis: String,

    /// Where it listens (port 0: any free port, logged). Loopback unless told otherwise:
    /// any other address without --token prints a warning, since anyone who reaches it
    /// could re-queue and delete jobs.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,

    /// A secret every request must carry: as `Authorization: Bearer TOKEN`, or by logging in
    /// once through the page's form (which sets a session cookie).
    #[arg(long, env = "SAMPLEAPP_DASHBOARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Show everything, change nothing: no page offers an action, and every action is
    /// refused.
    #[arg(long)]
    pub read_only: bool,
}

/// Where the queue is.
#[derive(Clone, Debug, Args)]
pub struct QueueArgs {
    /// The Redis server.
    #[arg(long, default_value = "redis://127.0.0.1:6379", global = true)]
    pub redis: String,

    /// The queue's name.
    #[arg(
        long = "queue",
        visible_alias = "queue-name",
        default_value = "sampleapp",
        global = true
    )]
    pub queue_name: String,

    /// Print one JSON object on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `publish`'s flags.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Where the queue is.
    #[command(flatten)]
    pub queue: QueueArgs,

    /// Stop after this many jobs [default: 10000 unless --duration is given].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after this long, e.g. 10s.
    #[arg(long, value_parser = crate::cli::parse_duration, allow_hyphen_values = true)]
    pub duration: Option<Duration>,

    /// Jobs per second; as fast as Redis takes them if not given.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub rate: Option<u64>,

    /// How long each job works, in milliseconds: MIN..MAX.
    #[arg(long, default_value = "1..5", value_parser = crate::cli::parse_range, allow_hyphen_values = true)]
    pub job_ms: MillisRange,

    /// The share of jobs that fail every attempt (they end as dead letters), from 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = crate::cli::parse_rate, allow_hyphen_values = true)]
    pub fail_rate: f64,

    /// Each job runs this long after it is published, e.g. 10s: it waits in the queue's
    /// delayed set until then.
    #[arg(long, value_parser = crate::cli::parse_duration, allow_hyphen_values = true, conflicts_with = "at")]
    pub delay: Option<Duration>,

    /// Every job runs at this time (RFC 3339, UTC), e.g. 2026-12-24T18:00:00Z.
    #[arg(long, value_parser = crate::cli::parse_time)]
    pub at: Option<SystemTime>,
}

/// `work`'s flags.
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// Where the queue is.
    #[command(flatten)]
    pub queue: QueueArgs,

    /// The async runtime of this consumer.
    #[arg(long, value_enum, default_value_t = Runtime::Tokio)]
    pub runtime: Runtime,

    /// Local workers: jobs this process runs at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub workers: u32,

    /// How long a held job may go unrenewed before another consumer takes it over, e.g. 30s.
    #[arg(long, default_value = "30s", value_parser = crate::cli::parse_timeout, allow_hyphen_values = true)]
    pub visibility_timeout: Duration,

    /// Runs a job gets before it is dead-lettered.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub max_attempts: u32,

    /// Serve several queues instead of --queue-name, each with a weight, as Sidekiq writes
    /// them: critical=6,default=3,low=1 (a name alone weighs 1). With a backlog on every
    /// queue, each gets jobs in proportion to its weight.
    #[arg(long, value_parser = parse_weighted_queue, value_delimiter = ',', conflicts_with = "queue_name")]
    pub queues: Vec<(String, Option<u32>)>,

    /// Serve --queues strictly in the order given: a queue's jobs only while the ones before
    /// it are empty (weights are then not allowed).
    #[arg(long, requires = "queues")]
    pub strict: bool,

    /// Limit the simulated jobs to this many starts per period across every worker that
    /// asks for the same limit, e.g. 50/s or 600/1m: jobs over it wait for their turn.
    #[arg(long, value_parser = parse_rate_limit)]
    pub rate_limit: Option<pool_redis::RateLimit>,

    /// Limit the simulated jobs to this many running at once across every worker that asks
    /// for the same limit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency_limit: Option<u32>,

    /// Serve Prometheus metrics at http://ADDRESS/metrics while it works, e.g.
    /// 127.0.0.1:9464 (port 0: any free port, logged): this consumer's counts, its local
    /// pool's, its jobs' wait and run times by kind, and its queues' numbers.
    #[arg(long, value_name = "ADDRESS")]
    pub metrics: Option<std::net::SocketAddr>,

    /// Also enqueue a "heartbeat" job on this schedule, shared with every worker that asks
    /// for the same one (each tick enqueued once among them): a cron expression in UTC such
    /// as "*/10 * * * * *", or an interval such as 10s.
    #[arg(long, value_parser = crate::cli::parse_schedule)]
    pub heartbeat: Option<pool_redis::Schedule>,
}

impl WorkArgs {
    /// The queues to serve: `--queues` in their order (or weights), else `--queue-name`.
    pub fn queues(&self) -> Queues {
        if self.queues.is_empty() {
            return Queue::new(&self.queue.queue_name).into();
        }
        let queues = self.queues.iter();
        if self.strict {
            Queues::strict(queues.map(|(name, _)| Queue::new(name)))
        } else {
            Queues::weighted(queues.map(|(name, weight)| (Queue::new(name), weight.unwrap_or(1))))
        }
    }

    /// What no single flag's parser can see.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.strict && self.queues.iter().any(|(_, weight)| weight.is_some()) {
            return Err("--strict serves --queues in their order: drop the weights".to_owned());
        }
        Ok(())
    }
}

/// `status`'s flags.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Where the queue is.
    #[command(flatten)]
    pub queue: QueueArgs,

    /// Show one job instead, by its key: its latest progress report (a simulated job of
    /// 100 ms or more reports every 100 ms of work).
    #[arg(long)]
    pub job: Option<uuid::Uuid>,

    /// The window the throughput is measured over (two looks this far apart); 0s for one
    /// look and no throughput.
    #[arg(long, default_value = "1s", value_parser = crate::cli::parse_duration, allow_hyphen_values = true)]
    pub window: Duration,

    /// Look again every --window (every second for 0s), with the rates since the last look,
    /// until Ctrl-C: redrawn in place on a terminal, one block (or JSON line) per look when
    /// piped.
    #[arg(long, conflicts_with = "job")]
    pub watch: bool,
}

/// `dead-letters`' flags.
#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    /// Where the queue is.
    #[command(flatten)]
    pub queue: QueueArgs,

    /// What to do with them.
    #[command(subcommand)]
    pub action: DeadLetterAction,
}

/// What `dead-letters` does.
#[derive(Debug, Subcommand)]
pub enum DeadLetterAction {
    /// List them, newest first: id, when, kind, job key, attempts, last error.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
    },
    /// Show one in full (every field of its job's entry): by its id, or its job's key.
    Show {
        /// A dead letter's id (as `list` shows it) or its job's key.
        letter: String,
    },
    /// Put them back on the queue as new jobs (their attempts counted from zero).
    Requeue(Pick),
    /// Delete them for good.
    Delete(Pick),
}

/// Which dead letters: some, by id or job key, or all.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["letters", "all"])))]
pub struct Pick {
    /// Dead letters' ids (as `list` shows them) or their jobs' keys.
    pub letters: Vec<String>,

    /// Every dead letter there is now (not those that die meanwhile).
    #[arg(long, conflicts_with = "letters")]
    pub all: bool,
}

/// `COUNT/PERIOD` of `--rate-limit`: 50/s, 600/1m, 5/10s.
fn parse_rate_limit(text: &str) -> Result<pool_redis::RateLimit, String> {
    let (count, period) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not COUNT/PERIOD, like 50/s"))?;
    let count: u32 = count
        .parse()
        .ok()
        .filter(|count| *count > 0)
        .ok_or_else(|| format!("{count:?} is not a count of starts (a whole number from 1)"))?;
    let period = match period {
        "s" => std::time::Duration::from_secs(1),
        "m" => std::time::Duration::from_secs(60),
        "h" => std::time::Duration::from_secs(3600),
        period => crate::cli::parse_duration(period)?,
    };
    if period.is_zero() {
        return Err("a rate limit's period must be longer than zero".to_owned());
    }
    Ok(pool_redis::RateLimit::new(count, period))
}

/// One `NAME=WEIGHT` (or `NAME`, weighing 1) of `--queues`.
fn parse_weighted_queue(text: &str) -> Result<(String, Option<u32>), String> {
    let (name, weight) = match text.split_once('=') {
        Some((name, weight)) => {
            let weight: u32 = weight
                .parse()
                .map_err(|_| format!("{weight:?} is not a weight (a whole number from 1)"))?;
            (name, Some(weight))
        }
        None => (text, None),
    };
    if name.is_empty() {
        return Err(format!("{text:?} names no queue: write NAME=WEIGHT"));
    }
    if weight == Some(0) {
        return Err(format!("{name}: a weight of 0 would never be served"));
    }
    Ok((name.to_owned(), weight))
}

#[cfg(test)]
mod tests {
    use super::parse_weighted_queue;

    #[test]
    fn rate_limits_parse_and_bad_ones_say_why() {
        use super::parse_rate_limit;
        let limit = parse_rate_limit("50/s").unwrap();
        assert_eq!((limit.count(), limit.period().as_secs()), (50, 1));
        assert_eq!(parse_rate_limit("600/1m").unwrap().period().as_secs(), 60);
        assert!(parse_rate_limit("50").unwrap_err().contains("COUNT/PERIOD"));
        assert!(parse_rate_limit("0/s").unwrap_err().contains("count"));
        assert!(parse_rate_limit("5/0s").unwrap_err().contains("zero"));
    }

    #[test]
    fn weighted_queues_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_weighted_queue("critical=6"),
            Ok(("critical".into(), Some(6)))
        );
        assert_eq!(parse_weighted_queue("low"), Ok(("low".into(), None)));
        assert!(parse_weighted_queue("low=0").unwrap_err().contains("never"));
        assert!(
            parse_weighted_queue("low=x")
                .unwrap_err()
                .contains("weight")
        );
        assert!(
            parse_weighted_queue("=3")
                .unwrap_err()
                .contains("names no queue")
        );
    }
}
