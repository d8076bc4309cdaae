//! How failed jobs are retried: how often, and how long each waits.

use std::time::Duration;

/// Failed runs are retried up to a number of runs in all, each after an exponential
/// back-off with jitter; the last failure sends the job to the dead letters.
///
/// A failed job leaves the stream and waits in the queue's delayed set until its back-off has
/// passed, so the back-off is not bounded by the visibility timeout: it may be hours. Any
/// consumer then moves it back. Attempts count runs, each counted in Redis before it starts,
/// so a run that crashed its process counts too.
///
/// The default, 20 attempts with back-offs doubling from 10 s up to 1 h, with full jitter,
/// rides out a downstream outage of hours. After failed attempt *n* the job waits a random
/// time between 0 and the window below (the sum of the windows is the longest the retries can
/// take; the mean is half of it):
///
/// | attempt failed | window | windows so far |
/// |---|---|---|
/// | 1 | 10 s | 10 s |
/// | 2 | 20 s | 30 s |
/// | 3 | 40 s | 1 min 10 s |
/// | 4 | 1 min 20 s | 2 min 30 s |
/// | 5 | 2 min 40 s | 5 min 10 s |
/// | 6 | 5 min 20 s | 10 min 30 s |
/// | 7 | 10 min 40 s | 21 min 10 s |
/// | 8 | 21 min 20 s | 42 min 30 s |
/// | 9 | 42 min 40 s | 1 h 25 min 10 s |
/// | 10 to 19 | 1 h each | 11 h 25 min 10 s |
///
/// The twentieth failure dead-letters the job, on average about 5 h 42 min after the first.
/// The ten one-hour windows alone make a total under an hour vanishingly unlikely (none in
/// 200,000 simulated schedules).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use pool_redis::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::new(3)
///     .with_first_backoff(Duration::from_millis(100))
///     .with_max_backoff(Duration::from_secs(1))
///     .with_jitter(Jitter::None);
/// assert_eq!(policy.max_attempts(), 3);
/// assert_eq!(policy.window(1), Duration::from_millis(100));
/// assert_eq!(policy.window(2), Duration::from_millis(200));
/// assert_eq!(policy.window(9), Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    jitter: Jitter,
}

/// How a back-off is drawn from its window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Jitter {
    /// A uniformly random wait between 0 and the window ("full jitter"). The retries of many
    /// jobs that failed together (a downstream outage) spread over the whole window instead
    /// of coming back in a wave, which is what a recovering downstream needs; its cost, a
    /// wait that may be short, is paid back by the attempts that follow, since each window
    /// doubles.
    #[default]
    Full,
    /// The whole window, every time: a schedule to the millisecond, for tests and for jobs
    /// that fail alone.
    None,
}

impl Default for RetryPolicy {
    /// 20 attempts, back-offs doubling from 10 s up to 1 h, full jitter (the table above).
    fn default() -> Self {
        Self {
            max_attempts: 20,
            first_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// `max_attempts` runs in all, the first included; the default's back-offs.
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..Self::default()
        }
    }

    /// The same, with `max_attempts` runs in all.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The same, with the window after the first failure set to `first` (it doubles for each
    /// failure after).
    #[must_use]
    pub fn with_first_backoff(mut self, first: Duration) -> Self {
        self.first_backoff = first;
        self
    }

    /// The same, with no window longer than `most`.
    #[must_use]
    pub fn with_max_backoff(mut self, most: Duration) -> Self {
        self.max_backoff = most;
        self
    }

    /// The same, drawing each back-off as `jitter` says.
    #[must_use]
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Runs in all, the first included. Each run is counted in Redis before it starts: a
    /// job that crashes its process on every run uses its attempts up, and so does one that
    /// is in a process killed that often, while a delivery to a consumer that died before
    /// starting it costs nothing.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How a back-off is drawn from its window.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// The window of the back-off after failed attempt `attempt` (1 for the first run):
    /// the first back-off, doubled `attempt - 1` times, at most the longest.
    pub fn window(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }

    /// The wait after failed attempt `attempt`, drawn from its window.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let window = self.window(attempt);
        match self.jitter {
            Jitter::None => window,
            Jitter::Full => window.mul_f64(fastrand::f64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_double_up_to_the_cap() {
        let policy = RetryPolicy::new(10)
            .with_first_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(1));
        let windows: Vec<_> = (1..=6).map(|n| policy.window(n).as_millis()).collect();
        assert_eq!(windows, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.window(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn full_jitter_stays_within_the_window_and_spreads_over_it() {
        let policy = RetryPolicy::new(3).with_first_backoff(Duration::from_secs(1));
        let draws: Vec<Duration> = (0..1000).map(|_| policy.backoff(1)).collect();
        assert!(draws.iter().all(|wait| *wait <= Duration::from_secs(1)));
        let below_half = draws
            .iter()
            .filter(|wait| **wait < Duration::from_millis(500))
            .count();
        // Binomial(1000, 1/2): outside 400..600 about once in 10^10 runs.
        assert!((400..600).contains(&below_half), "{below_half}");
    }

    #[test]
    fn the_default_table_is_what_the_doc_says() {
        let policy = RetryPolicy::default();
        let windows: Vec<u64> = (1..policy.max_attempts())
            .map(|n| policy.window(n).as_secs())
            .collect();
        assert_eq!(&windows[..9], [10, 20, 40, 80, 160, 320, 640, 1280, 2560]);
        assert!(windows[9..].iter().all(|window| *window == 3600));
        assert_eq!(windows.iter().sum::<u64>(), 11 * 3600 + 25 * 60 + 10);
    }
}
