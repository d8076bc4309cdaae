//! How often jobs of a kind may start, across every consumer of a queue.

use std::time::Duration;

/// At most `count` starts per `period` for a kind of job, across every consumer of the
/// queue, with bursts of up to `burst` starts: in any window of length `w`, at most
/// `burst + count × w / period` jobs of the kind start. Set with
/// [`ConsumerBuilder::rate_limit`](crate::ConsumerBuilder::rate_limit).
///
/// The limit is a token bucket kept in Redis (GCRA: one timestamp per kind), checked when a
/// job is about to start. A job over the limit does not start and does not use an
/// attempt: it waits in the queue's delayed set for its turn, the turns spread one interval
/// (`period / count`) apart, and starts then if the bucket allows (else it waits again).
///
/// The default burst is a tenth of a second's worth of starts (at least 1): a job that is
/// back for its turn a little late (a promotion's round trip) then still finds its token,
/// and the starts stay close to the rate.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use pool_redis::RateLimit;
///
/// let limit = RateLimit::per_second(100);
/// assert_eq!(limit.interval(), Duration::from_millis(10));
/// assert_eq!(limit.burst(), 10);
/// let strict = RateLimit::new(5, Duration::from_secs(60)).with_burst(1);
/// assert_eq!(strict.interval(), Duration::from_secs(12));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    count: u32,
    period: Duration,
    burst: u32,
}

impl RateLimit {
    /// At most `count` starts per `period`. A count or period of zero is refused by
    /// [`ConsumerBuilder::connect`](crate::ConsumerBuilder::connect).
    pub fn new(count: u32, period: Duration) -> Self {
        let tenth =
            u64::from(count) * 100 / u64::try_from(period.as_millis()).unwrap_or(u64::MAX).max(1);
        Self {
            count,
            period,
            burst: u32::try_from(tenth).unwrap_or(u32::MAX).max(1),
        }
    }

    /// At most `count` starts a second.
    pub fn per_second(count: u32) -> Self {
        Self::new(count, Duration::from_secs(1))
    }

    /// Allows bursts of up to `burst` starts at once (at least 1: 0 is taken as 1).
    #[must_use]
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// The starts allowed per period.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The most starts at once.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The time between two starts at the limit: `period / count`.
    pub fn interval(&self) -> Duration {
        self.period / self.count.max(1)
    }

    /// Whether it can work: a count and a period.
    pub(crate) fn is_valid(&self) -> bool {
        self.count > 0 && !self.period.is_zero()
    }

    /// The interval and the tolerance (how far ahead of its time a start may be: the
    /// burst's worth of intervals), in milliseconds, for the admission script.
    pub(crate) fn script_args(&self) -> (f64, f64) {
        let interval = self.period.as_secs_f64() * 1000.0 / f64::from(self.count.max(1));
        (interval, interval * f64::from(self.burst - 1))
    }
}
