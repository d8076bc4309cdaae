//! Opt-in timings: how long each job waited in the queue, and how long it ran, kept as
//! fixed-bucket histograms per worker (no allocation per job) and summed into percentiles
//! when the stats are read.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::observe::clock::JobClock;

/// Sub-buckets per power of two: a bucket spans at most an eighth of its value, so a
/// percentile read from it is at most 12.5 % above the true one.
const SUB_BITS: u32 = 3;
const SUBS: usize = 1 << SUB_BITS;
/// Rows of buckets: the last spans up to 2^50 ns, about 13 days; longer times count in it too,
/// and a percentile that falls in it reads as the exact maximum.
const POWERS: usize = 48;
const BUCKETS: usize = POWERS * SUBS;

/// The percentiles of one kind of duration, read from [`PoolStats::timings`](crate::PoolStats::timings).
///
/// Each percentile is the upper edge of the histogram bucket it falls in, so it is never
/// below the true value and at most 12.5 % above it; `max` is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Percentiles {
    /// How many durations were recorded.
    pub count: u64,
    /// The median.
    pub p50: Duration,
    /// The 90th percentile.
    pub p90: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The longest.
    pub max: Duration,
}

/// Queue wait and run time of the jobs that ran, when the pool was built with
/// [`timings(true)`](crate::WorkerPoolBuilder::timings).
///
/// *Queue wait* is from the moment a job was submitted (a `submit` that waits for room counts
/// that wait too) to the moment a worker began it: the saturation signal a pool is resized
/// on. *Run time* is from
/// then to its outcome. Jobs that never began (aborted or handed back) are in neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Timings {
    /// Time in the queue.
    pub queue_wait: Percentiles,
    /// Time running.
    pub run: Percentiles,
}

/// A timed pool's clock and its workers' histograms.
#[derive(Debug)]
pub(crate) struct PoolTimings {
    pub(crate) clock: JobClock,
    /// Per worker seat.
    pub(crate) workers: Box<[WorkerTimings]>,
}

impl PoolTimings {
    pub(crate) fn new(seats: usize) -> Self {
        Self {
            clock: JobClock::new(),
            workers: (0..seats).map(|_| WorkerTimings::new()).collect(),
        }
    }
}

/// One worker's histograms. One writer (the worker), so a plain load and store count.
#[derive(Debug)]
pub(crate) struct WorkerTimings {
    queue_wait: Histogram,
    run: Histogram,
}

#[derive(Debug)]
struct Histogram {
    buckets: Box<[AtomicU64]>,
    max_ns: AtomicU64,
}

impl WorkerTimings {
    pub(crate) fn new() -> Self {
        Self {
            queue_wait: Histogram::new(),
            run: Histogram::new(),
        }
    }

    pub(crate) fn record(&self, queue_wait_ns: u64, run_ns: u64) {
        self.queue_wait.record(queue_wait_ns);
        self.run.record(run_ns);
    }
}

impl Histogram {
    fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max_ns: AtomicU64::new(0),
        }
    }

    fn record(&self, ns: u64) {
        let bucket = &self.buckets[bucket_of(ns)];
        bucket.store(bucket.load(Relaxed) + 1, Relaxed);
        if ns > self.max_ns.load(Relaxed) {
            self.max_ns.store(ns, Relaxed);
        }
    }
}

/// The bucket of `ns`: values below `SUBS` have one each; above, each power of two is cut
/// into `SUBS` equal parts.
fn bucket_of(ns: u64) -> usize {
    if ns < SUBS as u64 {
        return ns as usize;
    }
    let power = 63 - ns.leading_zeros(); // >= SUB_BITS
    let sub = (ns >> (power - SUB_BITS)) as usize & (SUBS - 1);
    let index = (power - SUB_BITS + 1) as usize * SUBS + sub;
    index.min(BUCKETS - 1)
}

/// The largest value in `bucket`.
fn upper_edge(bucket: usize) -> u64 {
    if bucket < SUBS {
        return bucket as u64;
    }
    let power = (bucket / SUBS) as u32 + SUB_BITS - 1;
    let sub = (bucket % SUBS) as u64;
    let low = (SUBS as u64 + sub) << (power - SUB_BITS);
    low + (1 << (power - SUB_BITS)) - 1
}

/// Sums the workers' histograms into percentiles.
pub(crate) fn summarize(workers: &[WorkerTimings]) -> Timings {
    Timings {
        queue_wait: percentiles(workers.iter().map(|w| &w.queue_wait)),
        run: percentiles(workers.iter().map(|w| &w.run)),
    }
}

fn percentiles<'a>(histograms: impl Iterator<Item = &'a Histogram> + Clone) -> Percentiles {
    let mut sum = vec![0_u64; BUCKETS];
    let mut max_ns = 0;
    for histogram in histograms {
        for (total, bucket) in sum.iter_mut().zip(histogram.buckets.iter()) {
            *total += bucket.load(Relaxed);
        }
        max_ns = max_ns.max(histogram.max_ns.load(Relaxed));
    }
    let count: u64 = sum.iter().sum();
    let at = |quantile: f64| {
        if count == 0 {
            return Duration::ZERO;
        }
        // The rank of the quantile, 1-based: the smallest value with at least that many at
        // or below it.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((count as f64 * quantile).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &n) in sum.iter().enumerate() {
            seen += n;
            if seen >= rank {
                // Never above the exact maximum; the last bucket has no upper edge.
                if bucket == BUCKETS - 1 {
                    return Duration::from_nanos(max_ns);
                }
                return Duration::from_nanos(upper_edge(bucket).min(max_ns));
            }
        }
        Duration::from_nanos(max_ns)
    };
    Percentiles {
        count,
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: Duration::from_nanos(max_ns),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_a_bucket_whose_edges_hold_it() {
        for ns in (0..10_000).chain([u64::from(u32::MAX), 1 << 40, (1 << 47) + 12_345]) {
            let bucket = bucket_of(ns);
            assert!(upper_edge(bucket) >= ns, "{ns} above its bucket {bucket}");
            if bucket > 0 {
                assert!(
                    upper_edge(bucket - 1) < ns,
                    "{ns} below its bucket {bucket}"
                );
            }
            // At most an eighth above.
            assert!(
                upper_edge(bucket) - ns <= ns / 8,
                "{ns}: bucket {bucket} too wide"
            );
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_of_known_values() {
        let worker = WorkerTimings::new();
        for ms in 1..=100 {
            worker.record(ms * 1_000_000, ms * 1_000);
        }
        let timings = summarize(std::slice::from_ref(&worker));
        let wait = timings.queue_wait;
        assert_eq!(wait.count, 100);
        assert_eq!(wait.max, Duration::from_millis(100));
        for (got, exact) in [(wait.p50, 50), (wait.p90, 90), (wait.p99, 99)] {
            let exact = Duration::from_millis(exact);
            assert!(
                got >= exact && got <= exact + exact / 8,
                "{got:?} for {exact:?}"
            );
        }
        assert_eq!(timings.run.max, Duration::from_micros(100));
        assert_eq!(summarize(&[]).run, Percentiles::default());

        // Beyond the last bucket's range: read as the exact maximum, never below it.
        let month = Duration::from_secs(30 * 24 * 3600);
        let long = WorkerTimings::new();
        let month_ns = u64::try_from(month.as_nanos()).expect("a month of nanoseconds fits");
        long.record(month_ns, month_ns);
        assert_eq!(summarize(std::slice::from_ref(&long)).run.p50, month);
    }
}
