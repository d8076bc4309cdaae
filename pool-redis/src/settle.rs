//! Acting on each local job's outcome: acknowledge a success, retry a failure after its
//! back-off, dead-letter one out of attempts, give back one that never started.

use std::sync::atomic::Ordering;

use pool_core::{Executor, JobErrorKind, JobStatus};

use crate::RemoteOutcome;
use crate::connection::Link;
use crate::consumer::Shared;
use crate::queue::GROUP;
use crate::reading::idle_ms;
use crate::registry::OutOfAttempts;
use crate::scripts;
use crate::stats::Counters;
use crate::wire::Job;

/// Outcomes acted on together, at most: successes share one script call.
const SETTLE_BATCH: usize = 256;

/// What becomes of a held entry once its local job ended.
enum Settlement {
    Acknowledge(RemoteOutcome),
    Retry(String),
    DeadLetter(String),
    Release,
}

impl<E: Executor> Shared<E> {
    /// Settles outcomes as the local pool reports them, until its results stream ends (the
    /// pool has stopped, and every outcome was read).
    pub(crate) async fn settle_until_drained(&self) {
        let mut commands = Link::commands(&self.client);
        while let Some(first) = self.results.recv().await {
            let mut batch = vec![first];
            while batch.len() < SETTLE_BATCH && !self.results.is_empty() {
                match self.results.recv().await {
                    Some(status) => batch.push(status),
                    None => break,
                }
            }
            self.settle(&mut commands, batch).await;
        }
    }

    async fn settle(&self, commands: &mut Link, statuses: Vec<JobStatus<String>>) {
        let mut acknowledged = Vec::new();
        let settled = statuses.len();
        for status in statuses {
            let Some(job) = self.held().remove(&status.id) else {
                continue;
            };
            match self.settlement(&job, status.outcome) {
                Settlement::Acknowledge(outcome) => acknowledged.push((job, outcome)),
                Settlement::Retry(error) => {
                    // No renewal round that copied it may land after this.
                    let _alone = self.renewing.write().await;
                    self.retry(commands, &job, &error).await;
                }
                Settlement::DeadLetter(error) if error.is_empty() => {
                    let reason = format!(
                        "started {} times and no run finished (did each crash its process?); last error",
                        self.config.retry.max_attempts
                    );
                    self.dead_letter(commands, &job, "", &reason).await;
                }
                Settlement::DeadLetter(error) => self.dead_letter(commands, &job, &error, "").await,
                Settlement::Release => {
                    let _alone = self.renewing.write().await;
                    self.release(commands, &job).await;
                }
            }
        }
        self.acknowledge(commands, &acknowledged).await;
        self.slots.give(settled);
    }

    fn settlement(&self, job: &Job, outcome: Result<String, pool_core::JobError>) -> Settlement {
        let error = match outcome {
            Ok(output) => {
                let value = serde_json::from_str(&output).unwrap_or(serde_json::Value::Null);
                return Settlement::Acknowledge(RemoteOutcome::Completed(value));
            }
            Err(error) => error,
        };
        let out_of_attempts =
            std::error::Error::source(&error).is_some_and(|source| source.is::<OutOfAttempts>());
        let attempt = job.attempt.load(Ordering::Acquire);
        match error.kind() {
            // Its earlier runs each ended with their process.
            _ if out_of_attempts => Settlement::DeadLetter(String::new()),
            // Never started (a stop-now handed it back), or stopped when asked to by a
            // shutdown: not the job's fault. (A started run counted its attempt.)
            JobErrorKind::NotStarted | JobErrorKind::Cancelled => Settlement::Release,
            _ if attempt >= self.config.retry.max_attempts => {
                Settlement::DeadLetter(format!("{error} (attempt {attempt})"))
            }
            _ => Settlement::Retry(error.to_string()),
        }
    }

    /// Leaves a failed entry pending until its back-off has passed; any consumer then
    /// reclaims it (the reclaim counts its next delivery).
    async fn retry(&self, commands: &mut Link, job: &Job, error: &str) {
        let visibility = self.config.visibility;
        let attempt = job.attempt.load(Ordering::Acquire).max(1);
        let backoff = self.config.retry.backoff(attempt, visibility);
        let idle = idle_ms(visibility.saturating_sub(backoff));
        let kept: Option<u64> = self
            .with_retries(commands, |mut connection| {
                let mut invocation = scripts::RETRY.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(&job.id)
                    .arg(idle)
                    .arg(job.key.to_string())
                    .arg(error);
                async move { invocation.invoke_async::<u64>(&mut connection).await }
            })
            .await;
        match kept {
            Some(1) => {
                Counters::add(&self.counters.retried, 1);
                tracing::debug!(job = %job.key, attempt, error, ?backoff, "failed: retried after its back-off");
            }
            Some(_) => Counters::add(&self.counters.leases_lost, 1),
            None => {}
        }
    }

    /// Acknowledges and deletes successful entries, in one script call, after keeping their
    /// outcomes if asked to.
    async fn acknowledge(&self, commands: &mut Link, jobs: &[(Job, RemoteOutcome)]) {
        if jobs.is_empty() {
            return;
        }
        for (job, outcome) in jobs {
            self.keep_outcome(commands, job, outcome).await;
        }
        let acked: Option<u64> = self
            .with_retries(commands, |mut connection| {
                let mut invocation = scripts::ACK.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.totals_key())
                    .arg(GROUP);
                for (job, _) in jobs {
                    invocation.arg(&job.id).arg(job.key.to_string());
                }
                async move { invocation.invoke_async::<u64>(&mut connection).await }
            })
            .await;
        // An entry found no longer pending was acknowledged already: by this consumer, if
        // a dropped connection lost the reply to a first try, or by a rival that reclaimed
        // it after a lapse (which renewal reports). Either way the job ran to success here.
        if acked.is_some() {
            Counters::add(&self.counters.acknowledged, jobs.len() as u64);
        }
    }

    /// Keeps a job's outcome for the producer, if the consumer keeps outcomes.
    pub(crate) async fn keep_outcome(
        &self,
        commands: &mut Link,
        job: &Job,
        outcome: &RemoteOutcome,
    ) {
        let Some(ttl) = self.config.outcomes_ttl else {
            return;
        };
        let Ok(text) = serde_json::to_string(outcome) else {
            return;
        };
        let list = self.queue.result_key(&job.key);
        let ttl_ms = idle_ms(ttl);
        let _: Option<()> = self
            .with_retries(commands, |mut connection| {
                let mut pipe = redis::pipe();
                pipe.atomic()
                    .cmd("DEL")
                    .arg(&list)
                    .ignore()
                    .cmd("RPUSH")
                    .arg(&list)
                    .arg(&text)
                    .ignore()
                    .cmd("PEXPIRE")
                    .arg(&list)
                    .arg(ttl_ms)
                    .ignore();
                async move { pipe.query_async::<()>(&mut connection).await }
            })
            .await;
    }
}
