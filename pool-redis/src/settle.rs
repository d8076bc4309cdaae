//! Acting on each local job's outcome: acknowledge a success, retry a failure after its
//! back-off, dead-letter one out of attempts, give back one that never started.

use std::sync::atomic::Ordering;

use pool_core::{Executor, JobErrorKind, JobStatus};

use crate::RemoteOutcome;
use crate::registry::{LeaseLost, OutOfAttempts};
use crate::report::Chain;
use crate::settlements::{Caller, DeadLetterWhy, KeptOutcome};
use crate::shared::Shared;
use crate::stats::Counters;
use crate::wire::Job;

/// Outcomes acted on together, at most: successes share one script call.
const SETTLE_BATCH: usize = 256;

/// What becomes of a held entry once its local job ended.
enum Settlement {
    Acknowledge(KeptOutcome),
    Retry {
        attempt: u32,
        error: String,
    },
    DeadLetter(DeadLetterWhy),
    Release,
    /// Its lease was found lost as it was about to start: not run here.
    Lost,
}

impl<E: Executor> Shared<E> {
    /// Settles outcomes as the local pool reports them, until its results stream ends (the
    /// pool has stopped, and every outcome was read).
    pub(crate) async fn settle_until_drained(&self) {
        while let Some(first) = self.results.recv().await {
            let mut batch = vec![first];
            while batch.len() < SETTLE_BATCH && !self.results.is_empty() {
                match self.results.recv().await {
                    Some(status) => batch.push(status),
                    None => break,
                }
            }
            self.settle(batch).await;
        }
    }

    async fn settle(&self, statuses: Vec<JobStatus<String>>) {
        let settled = statuses.len();
        let mut successes = Vec::new();
        for status in statuses {
            if status.outcome.is_ok() {
                successes.push(status);
                continue;
            }
            // From leaving `held` to settled in Redis (see `Shared::settling`); one entry at
            // a time, so that a lease renewal never waits behind many round trips.
            let _alone = self.settling.write().await;
            // Not held: its lease was found lost (and counted) by a renewal.
            let Some(job) = self.held().remove(&status.id) else {
                continue;
            };
            let done = match self.settlement(&job, status.outcome) {
                Settlement::Acknowledge(_) => unreachable!("successes are settled together"),
                Settlement::Retry { attempt, error } => self.retry(&job, attempt, &error).await,
                Settlement::DeadLetter(why) => {
                    self.dead_letter(Caller::Settler, &job.id, Some(job.key), why)
                        .await
                }
                Settlement::Release => self.release(Caller::Settler, &job.id).await,
                Settlement::Lost => {
                    Counters::add(&self.counters.leases_lost, 1);
                    tracing::warn!(queue = %self.queue.name(), id = %job.id, "not started: another consumer took the entry (this one's lease had lapsed)");
                    true
                }
            };
            if !done {
                self.gave_up_on([job.id]);
            }
        }
        if !successes.is_empty() {
            let _alone = self.settling.write().await;
            let acknowledged: Vec<_> = successes
                .into_iter()
                .filter_map(|status| {
                    let job = self.held().remove(&status.id)?;
                    match self.settlement(&job, status.outcome) {
                        Settlement::Acknowledge(kept) => Some((job, kept)),
                        _ => None,
                    }
                })
                .collect();
            if !self.acknowledge(&acknowledged).await {
                self.gave_up_on(acknowledged.into_iter().map(|(job, _)| job.id));
            }
        }
        self.slots.give(settled);
    }

    fn settlement(&self, job: &Job, outcome: Result<String, pool_core::JobError>) -> Settlement {
        let error = match outcome {
            Ok(output) => {
                // The local job's output is the job's JSON already: wrapped as serde writes
                // `RemoteOutcome::Completed`, without parsing it again.
                let kept = match self.config.outcomes_ttl {
                    Some(_) => format!("{{\"{}\":{output}}}", RemoteOutcome::COMPLETED),
                    None => String::new(),
                };
                return Settlement::Acknowledge(kept);
            }
            Err(error) => error,
        };
        let source = std::error::Error::source(&error);
        if source.is_some_and(|source| source.is::<LeaseLost>()) {
            return Settlement::Lost;
        }
        let attempt = job.attempt.load(Ordering::Acquire);
        match error.kind() {
            // Its earlier runs each ended with their process.
            _ if source.is_some_and(|source| source.is::<OutOfAttempts>()) => {
                Settlement::DeadLetter(DeadLetterWhy::LastRunError(format!(
                    "started {} times and no run finished (did each crash its process?); last error",
                    self.config.retry.max_attempts
                )))
            }
            // Never started (a stop-now handed it back), or stopped when asked to by a
            // shutdown: not the job's fault. (A started run counted its attempt.)
            JobErrorKind::NotStarted | JobErrorKind::Cancelled => Settlement::Release,
            _ if attempt >= self.config.retry.max_attempts => Settlement::DeadLetter(
                DeadLetterWhy::Error(format!("{} (attempt {attempt})", Chain(&error))),
            ),
            _ => Settlement::Retry {
                attempt,
                error: Chain(&error).to_string(),
            },
        }
    }
}
