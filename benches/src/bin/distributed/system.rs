//! The queues measured, each behind the same four operations, so that every measurement
//! treats them alike.

use std::io::Write;
use std::time::Duration;

use crate::{apalis_peer, bullmq_peer, celery_peer, ours};

/// Jobs per pipelined enqueue, for every producer.
pub(crate) const PRODUCER_BATCH: usize = 100;

/// What a producer enqueues: `jobs` jobs that each work `work_ms`; numbered 0, 1, ... if
/// `numbered`, each then recording its number when its body ends (see `crash`). With a
/// `rate`, one at a time on a fixed schedule (job n due n / rate seconds after the first),
/// each recording how long after its due time it started (see `latency`); otherwise in
/// batches, as fast as the queue takes them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Load {
    pub(crate) jobs: usize,
    pub(crate) work_ms: u64,
    pub(crate) numbered: bool,
    pub(crate) rate: Option<f64>,
}

impl Load {
    /// The number job `n` carries, if numbered.
    pub(crate) fn number(self, n: usize) -> Option<u64> {
        self.numbered.then_some(n as u64)
    }

    /// As fast as the queue takes them, unnumbered.
    pub(crate) fn plain(jobs: usize, work_ms: u64) -> Self {
        Self {
            jobs,
            work_ms,
            numbered: false,
            rate: None,
        }
    }
}

/// An open-loop producer's schedule: job n is due `n / rate` seconds after the start,
/// whether or not the queue kept up (so a queue that falls behind is charged the wait).
pub(crate) struct Pace {
    start: tokio::time::Instant,
    start_unix_us: u64,
    rate: f64,
}

impl Pace {
    pub(crate) fn new(rate: f64) -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            start: tokio::time::Instant::now(),
            start_unix_us: u64::try_from(since.as_micros()).unwrap_or(0),
            rate,
        }
    }

    /// Waits until job `n` is due; returns its due time, in Unix µs.
    pub(crate) async fn until(&self, n: usize) -> u64 {
        let after = Duration::from_secs_f64(n as f64 / self.rate);
        tokio::time::sleep_until(self.start + after).await;
        self.start_unix_us + u64::try_from(after.as_micros()).unwrap_or(0)
    }
}

/// Now, in Unix µs.
pub(crate) fn now_us() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
}

/// A Redis-backed job queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum System {
    /// This workspace's `pool-redis`.
    Ours,
    /// `pool-redis`, every job enqueued with a delay of zero: through the delayed set, moved
    /// into the stream by the consumers. The cost of a delayed job against an immediate one.
    OursDelayed,
    /// `pool-redis`, the jobs spread over three queues weighted 6, 3 and 1 that each
    /// consumer serves: the cost of weighted reads (a read per queue) against one queue.
    OursWeighted,
    /// `pool-redis` with a rate limit on the job's kind too high to bind: the cost of the
    /// admission (a script call per start) against none.
    OursRateLimited,
    /// `pool-redis` with a concurrency limit on the job's kind too high to bind: the cost of
    /// taking and giving back a slot per job.
    OursConcurrencyLimited,
    /// apalis 1.0 with apalis-redis 1.0.
    Apalis,
    /// BullMQ for Node, in processes of its own (see `bullmq_peer`).
    BullMq,
    /// BullMQ's own Rust crate, `bullmq-official` (the `bullmq-rust` feature).
    BullMqRust,
    /// Celery with its Redis broker, in Python processes of its own (see `celery_peer`).
    Celery,
}

impl System {
    pub(crate) const ALL: [Self; 9] = [
        Self::Ours,
        Self::OursDelayed,
        Self::OursWeighted,
        Self::OursRateLimited,
        Self::OursConcurrencyLimited,
        Self::Apalis,
        Self::BullMq,
        Self::BullMqRust,
        Self::Celery,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Ours => "pool-redis",
            Self::OursDelayed => "pool-redis-delayed",
            Self::OursWeighted => "pool-redis-weighted",
            Self::OursRateLimited => "pool-redis-rate-limited",
            Self::OursConcurrencyLimited => "pool-redis-concurrency-limited",
            Self::Apalis => "apalis-redis",
            Self::BullMq => "bullmq",
            Self::BullMqRust => "bullmq-rust",
            Self::Celery => "celery",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|system| system.name() == name)
    }

    /// Consumes until the process is killed.
    pub(crate) async fn consume(self, spec: &ConsumerSpec) {
        match self {
            Self::Ours | Self::OursDelayed => ours::consume(spec, ours::Variant::Plain).await,
            Self::OursWeighted => ours::consume(spec, ours::Variant::Weighted).await,
            Self::OursRateLimited => ours::consume(spec, ours::Variant::RateLimited).await,
            Self::OursConcurrencyLimited => {
                ours::consume(spec, ours::Variant::ConcurrencyLimited).await;
            }
            Self::Apalis => apalis_peer::consume(spec).await,
            Self::BullMq | Self::Celery => {
                unreachable!("runs in processes of its own (see `child`)")
            }
            #[cfg(feature = "bullmq-rust")]
            Self::BullMqRust => crate::bullmq_rust_peer::consume(spec).await,
            #[cfg(not(feature = "bullmq-rust"))]
            Self::BullMqRust => unreachable!("checked by `ready`"),
        }
    }

    /// Enqueues `load`.
    pub(crate) async fn produce(self, url: &str, queue: &str, load: Load) {
        match self {
            Self::Ours | Self::OursRateLimited | Self::OursConcurrencyLimited => {
                ours::produce(url, queue, load, None).await;
            }
            Self::OursWeighted => {
                ours::produce_weighted(url, queue, load.jobs, load.work_ms).await;
            }
            Self::OursDelayed => {
                ours::produce(url, queue, load, Some(Duration::ZERO)).await;
            }
            Self::Apalis => apalis_peer::produce(url, queue, load).await,
            Self::BullMq | Self::Celery => {
                unreachable!("runs in processes of its own (see `child`)")
            }
            #[cfg(feature = "bullmq-rust")]
            Self::BullMqRust => crate::bullmq_rust_peer::produce(url, queue, load).await,
            #[cfg(not(feature = "bullmq-rust"))]
            Self::BullMqRust => unreachable!("checked by `ready`"),
        }
    }

    /// Jobs finished and recorded as such in Redis.
    pub(crate) fn completed(self, connection: &mut redis::Connection, queue: &str) -> u64 {
        match self {
            Self::OursWeighted => ours::WEIGHTED
                .iter()
                .map(|(suffix, _)| ours::completed(connection, &format!("{queue}{suffix}")))
                .sum(),
            Self::Ours
            | Self::OursDelayed
            | Self::OursRateLimited
            | Self::OursConcurrencyLimited => ours::completed(connection, queue),
            Self::Apalis => apalis_peer::completed(connection, queue),
            // The same keys and metrics: one protocol, two clients.
            Self::BullMq | Self::BullMqRust => bullmq_peer::completed(connection, queue),
            Self::Celery => celery_peer::completed(connection, queue),
        }
    }

    /// The command `completed` sends.
    pub(crate) fn poll_command(self) -> &'static str {
        match self {
            Self::Ours
            | Self::OursDelayed
            | Self::OursWeighted
            | Self::OursRateLimited
            | Self::OursConcurrencyLimited => ours::POLL_COMMAND,
            Self::Apalis => apalis_peer::POLL_COMMAND,
            Self::BullMq | Self::BullMqRust => bullmq_peer::POLL_COMMAND,
            Self::Celery => celery_peer::POLL_COMMAND,
        }
    }

    /// Jobs the queue still holds as its own Redis keys say: waiting, running, or waiting
    /// for a retry (see `crash`).
    pub(crate) fn outstanding(self, connection: &mut redis::Connection, queue: &str) -> u64 {
        let mut size = |command: &str, key: String| -> u64 {
            redis::cmd(command)
                .arg(key)
                .query(connection)
                .expect("a size")
        };
        match self {
            // Entries stay in the stream until settled; retries wait in the delayed set.
            Self::Ours
            | Self::OursDelayed
            | Self::OursWeighted
            | Self::OursRateLimited
            | Self::OursConcurrencyLimited => {
                size("XLEN", format!("{{{queue}}}:jobs"))
                    + size("ZCARD", format!("{{{queue}}}:delayed"))
            }
            Self::BullMq | Self::BullMqRust => {
                let list = |state: &str| format!("bull:{queue}:{state}");
                size("LLEN", list("wait"))
                    + size("LLEN", list("active"))
                    + size("LLEN", list("paused"))
                    + size("ZCARD", list("delayed"))
                    + size("ZCARD", list("prioritized"))
            }
            Self::Apalis => apalis_peer::outstanding(connection, queue),
            // kombu's Redis transport: the queue's list, and the messages delivered but not
            // acknowledged (restored after its visibility timeout).
            Self::Celery => size("LLEN", queue.to_owned()) + size("HLEN", "unacked".to_owned()),
        }
    }

    /// Whether it can run on this machine; why not, otherwise.
    pub(crate) fn ready(self) -> Result<(), String> {
        match self {
            Self::BullMq => bullmq_peer::ready(),
            Self::Celery => celery_peer::ready(),
            Self::BullMqRust if cfg!(not(feature = "bullmq-rust")) => Err(
                "build the runner with `--features bullmq-rust` (BullMQ's crate turns on tokio's `full` feature, kept out of the workspace build)".to_owned(),
            ),
            _ => Ok(()),
        }
    }

    /// Whether it reads a batch of jobs at a time (the runner's `--batches`); the others
    /// are measured at the first batch only.
    pub(crate) fn reads_batches(self) -> bool {
        !matches!(self, Self::BullMq | Self::BullMqRust | Self::Celery)
    }
}

/// What one consumer process is asked to do.
#[derive(Clone, Debug)]
pub(crate) struct ConsumerSpec {
    pub(crate) url: String,
    pub(crate) queue: String,
    /// Entries fetched per read.
    pub(crate) batch: usize,
    /// Jobs run at once in the process.
    pub(crate) workers: usize,
}

/// Tells the runner this process is connected and about to consume.
pub(crate) fn announce_ready() {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ready")
        .and_then(|()| stdout.flush())
        .expect("stdout");
}
