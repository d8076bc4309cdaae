//! Taking in an entry this consumer now holds (read, reclaimed or recovered): queue its job
//! on the local pool, or dead-letter it if it cannot run, or give it back if the pool is
//! stopping.

use std::sync::Arc;

use pool_core::{CancellationToken, Executor};

use crate::consume::queue_state::QueueState;
use crate::consume::run::local_job::{LocalJob, Start};
use crate::consume::settle::settlements::{Caller, DeadLetterReason};
use crate::job::registry::KeepOutcome;
use crate::store::entry::Entry;

/// Deliveries per allowed attempt after which an entry that never started is dead-lettered.
const RUNAWAY_DELIVERIES: u32 = 4;

impl<E: Executor> QueueState<E> {
    /// Takes in one entry, with the slot taken for it; the slot is given back here unless the
    /// entry's local job was queued (its settlement gives it back then).
    pub(crate) async fn take_in(&self, caller: Caller, entry: Entry) {
        let Some(local) = self.local_job(caller, &entry).await else {
            self.slots.give(1);
            return;
        };
        let (job_key, retry, cancel) = (local.job_key(), local.retry(), local.cancel_token());
        // Refused (the pool is stopping, or full, which the slots rule out): given back.
        let queued = self
            .holdings
            .hold(entry.id.clone(), job_key, retry, cancel, || {
                self.pool.try_submit_detached(local).map_err(|_refused| ())
            });
        if queued.is_err() {
            self.release(caller, &entry.id).await;
            self.slots.give(1);
        }
    }

    /// The local job for an entry, or `None` once the entry is dead-lettered (it cannot run,
    /// or is out of attempts).
    async fn local_job(&self, caller: Caller, entry: &Entry) -> Option<LocalJob> {
        let job = match entry.job() {
            Ok(job) => job,
            Err(reason) => {
                let reason = DeadLetterReason::Unreadable(reason);
                self.dead_letter(caller, &entry.id, reason).await;
                return None;
            }
        };
        // Attempts count runs (see `crash_isolation`); deliveries that never started one
        // cost nothing. Only an entry delivered over and over without ever starting
        // (consumers dying with it queued, again and again) is given up on here.
        let retry = self.config.retry_for(&job.kind);
        let max = retry.max_attempts();
        if entry.deliveries > max.saturating_mul(RUNAWAY_DELIVERIES) {
            let preface = format!(
                "delivered {} times without an outcome: its consumers keep dying",
                entry.deliveries
            );
            let reason = DeadLetterReason::Crashed {
                job_key: job.key,
                preface,
            };
            self.dead_letter(caller, &entry.id, reason).await;
            return None;
        }
        let keep = match self.config.outcomes_ttl {
            Some(_) => KeepOutcome::Yes,
            None => KeepOutcome::No,
        };
        let run = match self.registry.decode(&job.kind, &job.payload, keep) {
            Ok(run) => run,
            Err(undecodable) => {
                let reason = DeadLetterReason::Failed {
                    job_key: job.key,
                    error: undecodable.to_string(),
                };
                self.dead_letter(caller, &entry.id, reason).await;
                return None;
            }
        };
        let start = Start {
            entry_id: entry.id.clone(),
            job_key: job.key,
            redelivered: entry.deliveries > 1,
            retry,
            cancel: CancellationToken::new(),
            starts: self.starts.clone(),
            isolation: Arc::clone(&self.isolation),
            holdings: Arc::clone(&self.holdings),
            data: Arc::clone(&self.data),
            admission: self.admissions.get(job.kind.as_str()).cloned(),
            middleware: Arc::clone(&self.middleware),
            queue: Arc::clone(&self.queue_name),
            progress: Arc::clone(&self.progress),
            traceparent: job.traceparent,
            local_limit: self.local_limits.get(job.kind.as_str()).cloned(),
        };
        Some(LocalJob::new(run, start))
    }
}
