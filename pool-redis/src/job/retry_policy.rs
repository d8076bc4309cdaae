//! How failed jobs are retried: how often, and how long each waits.

use std::time::Duration;

/// Failed runs are retried up to `max_attempts` runs in all, each after an exponential
/// back-off; the last failure sends the job to the dead letters.
///
/// The back-off is kept by Redis, not by the consumer: a failed entry stays pending with its
/// idle time set so that it becomes reclaimable once its back-off has passed, by any
/// consumer. So it is at most the visibility timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Runs in all, the first included. Each run is counted in Redis before it starts: a
    /// job that crashes its process on every run uses its attempts up, and so does one that
    /// is in a process killed that often (set it above how often a job may be caught in a
    /// crash or a kill), while a delivery to a consumer that died before starting it costs
    /// nothing.
    pub max_attempts: u32,
    /// The wait before the second delivery; it doubles for each one after.
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 1 s, 2 s, 4 s, 8 s between them (capped by the visibility timeout).
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_backoff: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before the run after `attempt` failed, at most `cap`.
    pub(crate) fn backoff(&self, attempt: u32, cap: Duration) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first_backoff.saturating_mul(1 << doublings).min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            first_backoff: Duration::from_millis(100),
        };
        let cap = Duration::from_secs(1);
        let waits: Vec<_> = (1..=6)
            .map(|n| policy.backoff(n, cap).as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.backoff(u32::MAX, cap), cap);
    }
}
