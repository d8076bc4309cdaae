//! A consumer's settings, and the checks that refuse the ones that cannot work.

use std::collections::HashMap;
use std::time::Duration;

use crate::consume::limit::kind_limit::KindLimit;
use crate::{RetryPolicy, Schedule};

/// The shortest visibility timeout: a lease is renewed every third of it, and a renewal
/// shorter than a round trip under load would lapse while it is sent.
pub const MIN_VISIBILITY_TIMEOUT: Duration = Duration::from_millis(100);

/// A periodic job as registered: its name, schedule, and job (its kind, and its payload or
/// why it has none).
#[derive(Clone, Debug)]
pub(crate) struct Periodic {
    pub(crate) name: String,
    pub(crate) schedule: Schedule,
    pub(crate) kind: &'static str,
    pub(crate) payload: Result<String, String>,
}

/// The settings a running consumer reads.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) workers: usize,
    /// `None`: as many as the workers, whatever they are set to.
    pub(crate) prefetch: Option<usize>,
    pub(crate) read_batch: usize,
    pub(crate) visibility: Duration,
    pub(crate) block: Duration,
    pub(crate) reclaim_every: Duration,
    pub(crate) retry: RetryPolicy,
    /// Policies for some job kinds, in place of `retry`.
    pub(crate) retry_by_kind: HashMap<&'static str, RetryPolicy>,
    /// How often a consumer looks for delayed jobs that are due, at most.
    pub(crate) promote_every: Duration,
    /// The periodic jobs this consumer enqueues, each tick once among all that register it.
    pub(crate) periodic: Vec<Periodic>,
    /// Limits on some kinds' starts, across every consumer of a queue.
    pub(crate) limits: HashMap<&'static str, KindLimit>,
    /// The most jobs of some kinds running at once in this consumer.
    pub(crate) local_limits: HashMap<&'static str, u32>,
    pub(crate) outcomes_ttl: Option<Duration>,
    pub(crate) job_timeout: Option<Duration>,
    pub(crate) forget_after: Duration,
    pub(crate) shutdown_grace: Duration,
}

/// How long a timed shutdown goes on settling, past the local pool's grace, before it gives
/// up on Redis and returns.
pub(crate) const SETTLE_WINDOW: Duration = Duration::from_secs(1);

impl Default for Config {
    fn default() -> Self {
        Self {
            workers: 8,
            prefetch: None,
            read_batch: 100,
            visibility: Duration::from_secs(30),
            block: Duration::from_secs(1),
            reclaim_every: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            retry_by_kind: HashMap::new(),
            promote_every: Duration::from_millis(500),
            periodic: Vec::new(),
            limits: HashMap::new(),
            local_limits: HashMap::new(),
            outcomes_ttl: None,
            job_timeout: None,
            forget_after: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(1),
        }
    }
}

impl Config {
    /// How long a consumer holding nothing must have been idle to count as gone: never less
    /// than ten reclaim periods, in which a live consumer reads ten times.
    pub(crate) fn gone_after(&self) -> Duration {
        self.forget_after.max(self.reclaim_every.saturating_mul(10))
    }

    /// How long past its deadline a timed shutdown may take: the jobs' grace to react to
    /// cancellation, then the window to settle what they ended with.
    pub(crate) fn past_deadline(&self) -> Duration {
        self.shutdown_grace.saturating_add(SETTLE_WINDOW)
    }

    /// Entries held beyond the running ones. As many as the workers unless set: a fixed
    /// default starved large pools (32 workers with 8 held beyond them ran 25 % fewer jobs
    /// per second on the benchmark host than with 32), and one that follows the workers keeps
    /// every worker's next job already here.
    pub(crate) fn prefetch(&self) -> usize {
        self.prefetch.unwrap_or(self.workers)
    }

    /// The most entries held at once: running, and queued locally.
    pub(crate) fn held_at_most(&self) -> usize {
        self.workers + self.prefetch()
    }

    /// Refuses the settings that cannot work. The local pool checks its own (workers, job
    /// timeout) when it is built.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let held = self
            .workers
            .checked_add(self.prefetch())
            .filter(|held| *held <= pool_core::MAX_QUEUE_CAPACITY);
        if held.is_none() {
            return Err(ConfigError::TooManyHeld {
                workers: self.workers,
                prefetch: self.prefetch(),
            });
        }
        if self.read_batch == 0 {
            return Err(ConfigError::ZeroReadBatch);
        }
        if self.visibility < MIN_VISIBILITY_TIMEOUT {
            return Err(ConfigError::VisibilityTooShort(self.visibility));
        }
        let zero = |setting, value: Option<Duration>| match value {
            Some(value) if value.is_zero() => Err(ConfigError::Zero(setting)),
            _ => Ok(()),
        };
        zero("reclaim_every", Some(self.reclaim_every))?;
        zero("keep_outcomes", self.outcomes_ttl)?;
        zero("job_timeout", self.job_timeout)?;
        zero("promote_every", Some(self.promote_every))?;
        for periodic in &self.periodic {
            if let Err(why) = &periodic.payload {
                return Err(ConfigError::PeriodicJob {
                    name: periodic.name.clone(),
                    why: why.clone(),
                });
            }
        }
        for (kind, limit) in &self.limits {
            if limit.rate.is_some_and(|rate| !rate.is_valid()) {
                return Err(ConfigError::BadRateLimit((*kind).to_owned()));
            }
            if limit.concurrency == Some(0) {
                return Err(ConfigError::ZeroConcurrency((*kind).to_owned()));
            }
        }
        if let Some((kind, _)) = self.local_limits.iter().find(|(_, most)| **most == 0) {
            return Err(ConfigError::ZeroConcurrency((*kind).to_owned()));
        }
        let policies = std::iter::once(&self.retry).chain(self.retry_by_kind.values());
        if policies
            .into_iter()
            .any(|policy| policy.max_attempts() == 0)
        {
            return Err(ConfigError::ZeroAttempts);
        }
        Ok(())
    }

    /// The retry policy of jobs of `kind`.
    pub(crate) fn retry_for(&self, kind: &str) -> RetryPolicy {
        self.retry_by_kind.get(kind).copied().unwrap_or(self.retry)
    }
}

/// A consumer setting that cannot work, refused by
/// [`ConsumerBuilder::connect`](crate::ConsumerBuilder::connect) before anything is sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `workers + prefetch` past [`pool_core::MAX_QUEUE_CAPACITY`] (or past `usize`).
    #[error("workers ({workers}) plus prefetch ({prefetch}) is more entries than a consumer can hold (at most {max})", max = pool_core::MAX_QUEUE_CAPACITY)]
    TooManyHeld {
        /// The workers asked for.
        workers: usize,
        /// The prefetch asked for.
        prefetch: usize,
    },
    /// `read_batch(0)` would never read.
    #[error("read_batch must be at least 1")]
    ZeroReadBatch,
    /// A visibility timeout under [`MIN_VISIBILITY_TIMEOUT`].
    #[error(
        "a visibility timeout of {0:?} is too short to renew a lease in (at least {MIN_VISIBILITY_TIMEOUT:?})"
    )]
    VisibilityTooShort(Duration),
    /// A duration setting of zero, named.
    #[error("{0} must be longer than zero")]
    Zero(&'static str),
    /// `RetryPolicy::new(0)` would never run a job.
    #[error("max_attempts must be at least 1: a job needs one run")]
    ZeroAttempts,
    /// A periodic job whose payload cannot be encoded.
    #[error("the periodic job {name:?} cannot be encoded: {why}")]
    PeriodicJob {
        /// Its name.
        name: String,
        /// What the encoder said.
        why: String,
    },
    /// A rate limit of no starts, or per no time, for this kind.
    #[error("the rate limit of {0:?} allows no starts: it needs a count and a period")]
    BadRateLimit(String),
    /// A concurrency limit of 0 for this kind: its jobs would never run.
    #[error("the concurrency limit of {0:?} is 0: its jobs would never run")]
    ZeroConcurrency(String),
    /// A consumer given no queue to serve ([`Queues`](crate::Queues) empty).
    #[error("a consumer needs at least one queue")]
    NoQueues,
    /// A weighted queue of weight 0, named: it would never be served.
    #[error("the queue {0:?} has a weight of 0: it would never be served")]
    ZeroWeight(String),
    /// A queue listed twice, named.
    #[error("the queue {0:?} is listed twice")]
    QueueTwice(String),
    /// A setting the local pool refused.
    #[error("the local pool refused its settings")]
    Pool(#[source] pool_core::BuildError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_cannot_work_are_refused() {
        let refused = |change: fn(&mut Config)| {
            let mut config = Config::default();
            change(&mut config);
            config.check().unwrap_err()
        };
        assert!(matches!(
            refused(|c| c.prefetch = Some(usize::MAX)),
            ConfigError::TooManyHeld { .. }
        ));
        assert!(matches!(
            refused(|c| c.workers = usize::MAX),
            ConfigError::TooManyHeld { .. }
        ));
        assert_eq!(refused(|c| c.read_batch = 0), ConfigError::ZeroReadBatch);
        assert_eq!(
            refused(|c| c.visibility = Duration::ZERO),
            ConfigError::VisibilityTooShort(Duration::ZERO)
        );
        assert_eq!(
            refused(|c| c.reclaim_every = Duration::ZERO),
            ConfigError::Zero("reclaim_every")
        );
        assert_eq!(
            refused(|c| c.outcomes_ttl = Some(Duration::ZERO)),
            ConfigError::Zero("keep_outcomes")
        );
        assert_eq!(
            refused(|c| c.retry = RetryPolicy::new(0)),
            ConfigError::ZeroAttempts
        );
        assert_eq!(
            refused(|c| {
                c.retry_by_kind.insert("k", RetryPolicy::new(0));
            }),
            ConfigError::ZeroAttempts
        );
        assert_eq!(
            refused(|c| c.promote_every = Duration::ZERO),
            ConfigError::Zero("promote_every")
        );
        assert!(Config::default().check().is_ok());
    }
}
