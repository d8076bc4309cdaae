//! Acting on each local job's outcome: acknowledge a success, retry a failure after its
//! back-off, dead-letter one out of attempts, give back one that never started.

use pool_core::{Executor, JobError, JobErrorKind, JobStatus};

use crate::consume::hold::holdings::Held;
use crate::consume::queue_state::QueueState;
use std::sync::Arc;

use crate::consume::limit::admission::Admission;
use crate::consume::run::starts::Counted;
use crate::consume::settle::settlements::{Caller, DeadLetterReason, KeptOutcome};
use crate::consume::stats::Counters;
use crate::job::registry::Completed;
use crate::report::Chain;

/// What becomes of a held entry whose local job did not succeed.
enum Settlement {
    Retry(String),
    DeadLetter(DeadLetterReason),
    Release,
    /// It was cancelled by its key: before it started, or while it ran.
    Cancelled,
    /// Its lease was found lost as it was about to start: not run here.
    Lost,
    /// It was over its kind's limit as it was about to start: the admission moved it to
    /// the delayed set, to wait for its turn.
    OverLimit,
    /// It was found deleted from the stream as it was about to start (and acknowledged).
    Deleted,
}

impl<E: Executor> QueueState<E> {
    /// Settles the outcomes of jobs read from this queue, then gives their slots back.
    pub(crate) async fn settle(&self, statuses: Vec<JobStatus<Completed>>) {
        let settled = statuses.len();
        let mut successes = Vec::new();
        // The slots the settled runs held under their kinds' concurrency limits: given back
        // once all are settled, in one call per kind.
        let mut slots = FreedSlots::default();
        for status in statuses {
            let error = match status.outcome {
                Ok(completed) => {
                    successes.push((status.id, completed.kept));
                    continue;
                }
                Err(error) => error,
            };
            // From leaving the holdings to settled in Redis (see `QueueState::settling`); one
            // entry at a time, so that a lease renewal never waits behind many round trips.
            let _alone = self.settling.write().await;
            // Not held: its lease was found lost (and counted) by a renewal.
            let Some(held) = self.holdings.remove(status.id) else {
                continue;
            };
            match self.settlement(&held, &error) {
                Settlement::Retry(error) => self.retry(&held, &error).await,
                Settlement::DeadLetter(reason) => {
                    self.dead_letter(Caller::Settler, &held.entry_id, reason)
                        .await;
                }
                Settlement::Release => self.release(Caller::Settler, &held.entry_id).await,
                Settlement::Cancelled => self.settle_cancelled(&held).await,
                Settlement::Lost => self.lease_lost(&held.entry_id),
                Settlement::OverLimit => Counters::add(&self.counters.over_limit, 1),
                Settlement::Deleted => Counters::add(&self.counters.deleted_while_pending, 1),
            }
            slots.add(held);
        }
        if !successes.is_empty() {
            let _alone = self.settling.write().await;
            let acknowledged: Vec<(Held, KeptOutcome)> = successes
                .into_iter()
                .filter_map(|(local, kept)| Some((self.holdings.remove(local)?, kept)))
                .collect();
            self.acknowledge(&acknowledged).await;
            for (held, _) in acknowledged {
                slots.add(held);
            }
        }
        slots.give_back().await;
        self.slots.give(settled);
    }

    /// What a failed local job's entry becomes, from what counting its start found and how
    /// the job ended.
    fn settlement(&self, held: &Held, error: &JobError) -> Settlement {
        let max_attempts = held.retry.max_attempts();
        match (held.start, error.kind()) {
            (Some(Counted::NotHeld), _) => Settlement::Lost,
            (Some(Counted::OverLimit), _) => Settlement::OverLimit,
            (Some(Counted::Deleted), _) => Settlement::Deleted,
            // Cancelled by its key before it started, or while it ran (whatever it then
            // returned, short of a success): it is not retried.
            (Some(Counted::Cancelled), _) => Settlement::Cancelled,
            _ if held.cancel.is_cancelled() => Settlement::Cancelled,
            // Its earlier runs each ended with their process.
            (Some(Counted::OutOfAttempts(runs)), _) => {
                Settlement::DeadLetter(DeadLetterReason::Crashed {
                    job_key: held.job_key,
                    preface: format!(
                        "started {runs} times and no run finished (did each crash its process?); last error"
                    ),
                })
            }
            // Never started (a stop-now handed it back), or stopped when asked to by a
            // shutdown: not the job's fault. (A started run counted its attempt.)
            (_, JobErrorKind::NotStarted | JobErrorKind::Cancelled) => Settlement::Release,
            _ if held.attempt() >= max_attempts => {
                Settlement::DeadLetter(DeadLetterReason::Failed {
                    job_key: held.job_key,
                    error: format!("{} (attempt {})", Chain(error), held.attempt()),
                })
            }
            _ => Settlement::Retry(Chain(error).to_string()),
        }
    }
}

/// The slots settled runs held under their kinds' concurrency limits, by kind, given back
/// after their settlements (a slot given back first could start a waiter while its holder
/// still looked unsettled).
#[derive(Default)]
struct FreedSlots(Vec<(Arc<Admission>, Vec<String>)>);

impl FreedSlots {
    fn add(&mut self, held: Held) {
        let Some((admission, slot)) = held.slot else {
            return;
        };
        match self
            .0
            .iter_mut()
            .find(|(kind, _)| Arc::ptr_eq(kind, &admission))
        {
            Some((_, slots)) => slots.push(slot),
            None => self.0.push((admission, vec![slot])),
        }
    }

    async fn give_back(self) {
        for (admission, slots) in self.0 {
            admission.free_slots(&slots).await;
        }
    }
}
