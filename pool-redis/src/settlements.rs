//! The four ways a held entry leaves this consumer, each one owner-checked script call:
//! acknowledged, left for a retry, released, dead-lettered. Each counts what it did, and
//! counts as a lost lease what it found no longer held here.

use pool_core::Executor;
use redis::Script;
use redis::aio::ConnectionManager;
use uuid::Uuid;

use crate::queue::GROUP;
use crate::retrying::millis;
use crate::scripts;
use crate::shared::Shared;
use crate::stats::Counters;
use crate::wire::Job;

/// The group's placeholder consumer that holds released entries until another consumer
/// takes them: `status` shows them there, not under the consumer that let them go.
pub(crate) const RELEASED_TO: &str = "(released)";

/// The group's placeholder consumer that holds failed entries while they wait out their
/// back-off: `status` shows them there.
pub(crate) const RETRYING_AT: &str = "(retrying)";

/// Which loop sends a settling call: each sends one at a time, so each has one slot in the
/// consumer's memo of replies (see `scripts`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Caller {
    /// The reader, for entries it cannot take in.
    Reader,
    /// The settler, for the local jobs' outcomes.
    Settler,
}

impl Caller {
    fn slot(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Settler => "settler",
        }
    }
}

/// The error a dead letter shows.
#[derive(Clone, Debug)]
pub(crate) enum DeadLetterWhy {
    /// This one.
    Error(String),
    /// The error the job's last failed run kept in Redis (if any), after this preface.
    LastRunError(String),
}

/// A job's outcome, as an acknowledgement keeps it for the producer.
pub(crate) type KeptOutcome = String;

impl<E: Executor> Shared<E> {
    /// A settling script's invocation for `caller`, its memo arguments filled in, with the
    /// script's own keys and arguments to follow.
    fn settling_call<'a>(
        &self,
        script: &'a Script,
        caller: Caller,
        call: u64,
    ) -> redis::ScriptInvocation<'a> {
        let mut invocation = script.prepare_invoke();
        invocation
            .key(&self.memo_key)
            .arg(caller.slot())
            .arg(call)
            .arg(millis(self.config.gone_after()));
        invocation
    }

    /// Sends a settling call until it has an answer (see `with_retries`): one call id for
    /// every try, so that a try after a lost reply gets the first try's reply.
    async fn settle_call(
        &self,
        caller: Caller,
        script: &Script,
        build: impl Fn(&mut redis::ScriptInvocation<'_>),
    ) -> Option<i64> {
        let call = self.next_call();
        self.with_retries(|mut connection: ConnectionManager| {
            let mut invocation = self.settling_call(script, caller, call);
            build(&mut invocation);
            async move { invocation.invoke_async::<i64>(&mut connection).await }
        })
        .await
    }

    /// Acknowledges and deletes successful entries in one call, keeping their outcomes if
    /// the consumer keeps outcomes. Those no longer held here (a rival reclaimed them after
    /// this consumer's lease lapsed) are not acknowledged: their holder settles them.
    ///
    /// Returns false if it gave up (Redis unreachable while stopping, say): the entries stay
    /// pending, for a reclaim. So do the others below.
    pub(crate) async fn acknowledge(&self, jobs: &[(Job, KeptOutcome)]) -> bool {
        if jobs.is_empty() {
            return true;
        }
        let keep_ms = self.config.outcomes_ttl.map_or(0, millis);
        let acked = self
            .settle_call(Caller::Settler, &scripts::ACK, |invocation| {
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.totals_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(self.queue.result_prefix())
                    .arg(keep_ms);
                for (job, outcome) in jobs {
                    invocation
                        .arg(&job.id)
                        .arg(job.key.to_string())
                        .arg(outcome);
                }
            })
            .await;
        let Some(acked) = acked else {
            return false;
        };
        let acked = u64::try_from(acked).unwrap_or(0);
        Counters::add(&self.counters.acknowledged, acked);
        let lost = (jobs.len() as u64).saturating_sub(acked);
        if lost > 0 {
            Counters::add(&self.counters.leases_lost, lost);
            tracing::warn!(queue = %self.queue.name(), lost, "jobs that succeeded here were no longer held: another consumer reclaimed them");
        }
        true
    }

    /// Leaves a failed entry pending until its back-off has passed; any consumer then
    /// reclaims it (the reclaim counts its next delivery).
    pub(crate) async fn retry(&self, job: &Job, attempt: u32, error: &str) -> bool {
        let visibility = self.config.visibility;
        let backoff = self.config.retry.backoff(attempt.max(1), visibility);
        let idle = millis(visibility.saturating_sub(backoff));
        let kept = self
            .settle_call(Caller::Settler, &scripts::RETRY, |invocation| {
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.parked_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(&job.id)
                    .arg(idle)
                    .arg(job.key.to_string())
                    .arg(error)
                    .arg(RETRYING_AT);
            })
            .await;
        match kept {
            Some(1) => {
                Counters::add(&self.counters.retried, 1);
                tracing::debug!(job = %job.key, attempt, error, ?backoff, "failed: retried after its back-off");
            }
            Some(2) => Counters::add(&self.counters.deleted_while_pending, 1),
            Some(_) => self.lease_lost(&job.id),
            None => return false,
        }
        true
    }

    /// Gives a held entry back to the group for another consumer to take at once, without
    /// charging an attempt.
    pub(crate) async fn release(&self, caller: Caller, id: &str) -> bool {
        let idle = millis(self.config.visibility.saturating_mul(2));
        let released = self
            .settle_call(caller, &scripts::RELEASE, |invocation| {
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.parked_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(id)
                    .arg(idle)
                    .arg(RELEASED_TO);
            })
            .await;
        match released {
            Some(1) => Counters::add(&self.counters.released, 1),
            Some(2) => Counters::add(&self.counters.deleted_while_pending, 1),
            Some(_) => self.lease_lost(id),
            None => return false,
        }
        true
    }

    /// Moves a held entry to the dead letters, as it is in the stream, with `why`.
    pub(crate) async fn dead_letter(
        &self,
        caller: Caller,
        id: &str,
        job_key: Option<Uuid>,
        why: DeadLetterWhy,
    ) -> bool {
        let (error, preface) = match &why {
            DeadLetterWhy::Error(error) => (error.as_str(), ""),
            DeadLetterWhy::LastRunError(preface) => ("", preface.as_str()),
        };
        let key = job_key.map(|key| key.to_string()).unwrap_or_default();
        let moved = self
            .settle_call(caller, &scripts::DEAD_LETTER, |invocation| {
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.dead_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.totals_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(id)
                    .arg(&key)
                    .arg(error)
                    .arg(preface)
                    .arg(self.queue.result_prefix())
                    .arg(self.config.outcomes_ttl.map_or(0, millis));
            })
            .await;
        match moved {
            Some(1) => {
                Counters::add(&self.counters.dead_lettered, 1);
                tracing::warn!(queue = %self.queue.name(), id, job = %key, ?why, "dead-lettered");
            }
            Some(2) => Counters::add(&self.counters.deleted_while_pending, 1),
            Some(_) => self.lease_lost(id),
            None => return false,
        }
        true
    }

    /// Notes entries whose settlement was given up: they stay pending under this consumer,
    /// for a reclaim after the visibility timeout, and must not be taken for stranded ones.
    pub(crate) fn gave_up_on(&self, ids: impl IntoIterator<Item = String>) {
        let now = std::time::Instant::now();
        self.given_up().extend(ids.into_iter().map(|id| (id, now)));
    }

    /// Drops from this consumer's pending list an entry deleted from the stream meanwhile.
    pub(crate) async fn forget_deleted(&self, id: &str) {
        let acked: Option<i64> = self
            .with_retries(|mut connection| {
                let mut command = redis::cmd("XACK");
                command.arg(self.queue.jobs_key()).arg(GROUP).arg(id);
                async move { command.query_async(&mut connection).await }
            })
            .await;
        if acked == Some(1) {
            Counters::add(&self.counters.deleted_while_pending, 1);
        }
    }

    fn lease_lost(&self, id: &str) {
        Counters::add(&self.counters.leases_lost, 1);
        tracing::warn!(queue = %self.queue.name(), id, "an entry held here was found taken by another consumer (this one's lease had lapsed)");
    }
}
