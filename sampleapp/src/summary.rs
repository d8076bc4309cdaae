//! What a run reports at its end.

use std::fmt;
use std::time::Duration;

use pool_core::{Percentiles, PoolStats};
use serde::Serialize;

/// The end-of-run summary, as text or as one JSON object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The runtime the pool ran on.
    pub runtime: String,
    /// The pool's stats at the end, as pool-core reports them (flattened into the JSON
    /// object: `submitted`, `completed`, `failed`, ...).
    #[serde(flatten)]
    pub stats: PoolStats,
    /// The most worker tasks the publisher saw alive at once.
    pub peak_live_workers: usize,
    /// Never-started jobs handed back to the app by the shutdown (none lost).
    pub handed_back: usize,
    /// What stopped the publisher: duration, jobs, ctrl-c or enter.
    pub stopped_by: String,
    /// Whether a second Ctrl-C stopped the pool at once.
    pub stopped_now: bool,
    /// From the pool's start to the end of its shutdown.
    pub wall_seconds: f64,
    /// Jobs that reached an outcome, per second of wall time.
    pub jobs_per_second: f64,
    /// How long jobs waited in the queue, from submit to start.
    pub queue_wait_ms: Option<Millis>,
    /// How long jobs ran.
    pub run_ms: Option<Millis>,
}

/// Percentiles in milliseconds: each is the upper bound of the histogram bucket it falls in
/// (at most 12.5 % above the true value, and read as `max` in the top bucket); `max` is
/// exact.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Millis {
    /// The median.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The longest.
    pub max: f64,
}

impl From<Percentiles> for Millis {
    fn from(p: Percentiles) -> Self {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Self {
            p50: ms(p.p50),
            p90: ms(p.p90),
            p99: ms(p.p99),
            max: ms(p.max),
        }
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // "≤": a percentile is a bucket's upper bound, so several may read the same.
        write!(
            f,
            "p50 ≤{:.2} ms, p90 ≤{:.2}, p99 ≤{:.2}, max {:.2} (percentiles within 12.5 %)",
            self.p50, self.p90, self.p99, self.max
        )
    }
}

impl Summary {
    /// The summary of a run from its final stats.
    pub fn new(
        runtime: String,
        stats: &PoolStats,
        peak_live_workers: usize,
        handed_back: usize,
        stopped_by: &str,
        stopped_now: bool,
        wall: Duration,
    ) -> Self {
        let wall_seconds = wall.as_secs_f64();
        let ran = stats.finished() - stats.not_started;
        Self {
            runtime,
            stats: *stats,
            peak_live_workers,
            handed_back,
            stopped_by: stopped_by.to_owned(),
            stopped_now,
            wall_seconds,
            #[allow(clippy::cast_precision_loss)]
            jobs_per_second: if wall_seconds > 0.0 {
                ran as f64 / wall_seconds
            } else {
                0.0
            },
            queue_wait_ms: stats.timings.map(|t| t.queue_wait.into()),
            run_ms: stats.timings.map(|t| t.run.into()),
        }
    }

    /// Whether every accepted job is accounted for.
    pub fn adds_up(&self) -> bool {
        let stats = &self.stats;
        stats.submitted
            == stats.completed
                + stats.failed
                + stats.cancelled
                + stats.panicked
                + stats.timed_out
                + stats.aborted
                + stats.not_started
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = &self.stats;
        if stats.min_workers == stats.workers {
            writeln!(
                f,
                "runtime      {} ({} workers)",
                self.runtime, stats.workers
            )?;
        } else {
            writeln!(
                f,
                "runtime      {} ({}..{} workers, {} at the most)",
                self.runtime, stats.min_workers, stats.workers, self.peak_live_workers
            )?;
        }
        writeln!(
            f,
            "stopped by   {}{}",
            self.stopped_by,
            if self.stopped_now {
                ", then stopped now"
            } else {
                ""
            }
        )?;
        writeln!(f, "submitted    {}", stats.submitted)?;
        writeln!(f, "completed    {}", stats.completed)?;
        writeln!(f, "failed       {}", stats.failed)?;
        writeln!(f, "cancelled    {}", stats.cancelled)?;
        writeln!(f, "panicked     {}", stats.panicked)?;
        writeln!(f, "timed out    {}", stats.timed_out)?;
        writeln!(f, "aborted      {}", stats.aborted)?;
        writeln!(
            f,
            "not started  {} ({} handed back, none lost)",
            stats.not_started, self.handed_back
        )?;
        if let Some(waited) = &self.queue_wait_ms {
            writeln!(f, "queue wait   {waited}")?;
        }
        if let Some(ran) = &self.run_ms {
            writeln!(f, "run time     {ran}")?;
        }
        writeln!(f, "wall time    {:.2} s", self.wall_seconds)?;
        write!(f, "throughput   {:.0} jobs/s", self.jobs_per_second)
    }
}
