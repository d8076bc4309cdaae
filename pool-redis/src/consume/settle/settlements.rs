//! The four ways a held entry leaves this consumer, each one owner-checked script call:
//! acknowledged, left for a retry, released, dead-lettered. Each counts what it did, and
//! counts as a lost lease what it found no longer held here.

use crate::store::connection::Connection;
use pool_core::Executor;
use redis::Script;
use uuid::Uuid;

use crate::consume::hold::holdings::Held;
use crate::consume::queue_state::QueueState;
use crate::consume::stats::Counters;
use crate::consume::with_retries::millis;
use crate::store::group::RELEASED_TO;
use crate::store::id_span::{id_span, stream_order};
use crate::store::queue::GROUP;
use crate::store::scripts;

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

/// Why an entry is dead-lettered, and so what its dead letter says.
#[derive(Clone, Debug)]
pub(crate) enum DeadLetterReason {
    /// The entry holds no job that could be read: why.
    Unreadable(String),
    /// The job cannot run, or its last attempt failed: this error.
    Failed { job_key: Uuid, error: String },
    /// The job's runs kept ending with their process: this preface, then the error its last
    /// failed run kept in Redis (if any).
    Crashed { job_key: Uuid, preface: String },
}

impl DeadLetterReason {
    /// The `DEAD_LETTER` script's arguments: what the text is, the job key, and the text.
    fn script_args(&self) -> (&'static str, String, &str) {
        match self {
            Self::Unreadable(error) => ("unreadable", String::new(), error),
            Self::Failed { job_key, error } => ("error", job_key.to_string(), error),
            Self::Crashed { job_key, preface } => ("preface", job_key.to_string(), preface),
        }
    }
}

/// What a settling script found, by its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// Held here: settled.
    Held,
    /// Deleted from the stream while pending: only acknowledged.
    Deleted,
    /// Taken by another consumer after this one's lease lapsed: left to it.
    NotHeld,
}

impl Found {
    fn from_reply(reply: i64) -> Self {
        match reply {
            1 => Self::Held,
            2 => Self::Deleted,
            _ => Self::NotHeld,
        }
    }
}

/// A job's outcome, as an acknowledgement keeps it for the producer (`None`: not kept).
pub(crate) type KeptOutcome = Option<String>;

impl<E: Executor> QueueState<E> {
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
        self.with_retries(|mut connection: Connection| {
            let mut invocation = self.settling_call(script, caller, call);
            build(&mut invocation);
            async move { invocation.invoke_async::<i64>(&mut connection).await }
        })
        .await
    }

    /// Sends the settling call of one entry (see `settle_call`), and counts what it found:
    /// a settlement in `done`, a deletion, or a lease lost. Returns false if it gave up
    /// (Redis unreachable while stopping, say): the entry stays pending, for a reclaim, and
    /// is noted as given up on.
    async fn settle_entry(
        &self,
        caller: Caller,
        id: &str,
        script: &Script,
        build: impl Fn(&mut redis::ScriptInvocation<'_>),
        done: &std::sync::atomic::AtomicU64,
    ) -> Option<Found> {
        let Some(reply) = self.settle_call(caller, script, build).await else {
            self.gave_up_on([id.to_owned()]);
            return None;
        };
        let found = Found::from_reply(reply);
        match found {
            Found::Held => Counters::add(done, 1),
            Found::Deleted => Counters::add(&self.counters.deleted_while_pending, 1),
            Found::NotHeld => self.lease_lost(id),
        }
        Some(found)
    }

    /// Acknowledges and deletes successful entries in one call, keeping their outcomes if
    /// the consumer keeps outcomes. Those no longer held here (a rival reclaimed them after
    /// this consumer's lease lapsed) are not acknowledged: their holder settles them.
    ///
    /// If it gives up (Redis unreachable while stopping, say), the entries stay pending, for
    /// a reclaim, and are noted as given up on. So do the others below.
    pub(crate) async fn acknowledge(&self, jobs: &[(Held, KeptOutcome)]) {
        if jobs.is_empty() {
            return;
        }
        let keep_ms = self.config.outcomes_ttl.map_or(0, millis);
        let acked = self
            .settle_call(Caller::Settler, &scripts::ACK, |invocation| {
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.totals_key())
                    .key(self.queue.unique_of_key())
                    .key(self.queue.cancels_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(self.queue.result_prefix())
                    .arg(keep_ms);
                let ids = || jobs.iter().map(|(held, _)| held.entry_id.as_str());
                let (low, high) = id_span(ids());
                let order = stream_order(ids());
                invocation.arg(low).arg(high).arg(u8::from(order.is_some()));
                let in_order = order.unwrap_or_else(|| (0..jobs.len()).collect());
                for (held, outcome) in in_order.into_iter().map(|index| &jobs[index]) {
                    invocation
                        .arg(&held.entry_id)
                        .arg(held.job_key.to_string())
                        // A success with no output kept (a middleware's
                        // `Finished::without_output`) completes with null.
                        .arg(outcome.as_deref().unwrap_or(r#"{"Completed":null}"#));
                }
            })
            .await;
        let Some(acked) = acked else {
            self.gave_up_on(jobs.iter().map(|(held, _)| held.entry_id.clone()));
            return;
        };
        let acked = u64::try_from(acked).unwrap_or(0);
        Counters::add(&self.counters.acknowledged, acked);
        let lost = (jobs.len() as u64).saturating_sub(acked);
        if lost > 0 {
            Counters::add(&self.counters.leases_lost, lost);
            tracing::warn!(queue = %self.queue.name(), lost, "jobs that succeeded here were no longer held: another consumer reclaimed them");
        }
    }

    /// Moves a failed entry to the delayed set, due once its back-off has passed (drawn once,
    /// here, whatever tries the call takes); any consumer then moves it back to the stream.
    pub(crate) async fn retry(&self, held: &Held, error: &str) {
        let attempt = held.attempt();
        let backoff = held.retry.backoff(attempt.max(1));
        let found = self
            .settle_entry(
                Caller::Settler,
                &held.entry_id,
                &scripts::RETRY,
                |invocation| {
                    invocation
                        .key(self.queue.jobs_key())
                        .key(self.queue.errors_key())
                        .key(self.queue.runs_key())
                        .key(self.queue.delayed_key())
                        .key(self.queue.delayed_jobs_key())
                        .key(self.queue.totals_key())
                        .key(self.queue.unique_of_key())
                        .arg(GROUP)
                        .arg(&self.name)
                        .arg(&held.entry_id)
                        .arg(millis(backoff))
                        .arg(held.job_key.to_string())
                        .arg(error);
                },
                &self.counters.retried,
            )
            .await;
        if found == Some(Found::Held) {
            tracing::debug!(job = %held.job_key, attempt, error, ?backoff, "failed: retried after its back-off");
        }
    }

    /// Gives a held entry back to the group for another consumer to take at once, without
    /// charging an attempt.
    pub(crate) async fn release(&self, caller: Caller, id: &str) {
        let idle = millis(self.config.visibility.saturating_mul(2));
        let build = |invocation: &mut redis::ScriptInvocation<'_>| {
            invocation
                .key(self.queue.jobs_key())
                .key(self.queue.parked_key())
                .arg(GROUP)
                .arg(&self.name)
                .arg(id)
                .arg(idle)
                .arg(RELEASED_TO);
        };
        let released = &self.counters.released;
        self.settle_entry(caller, id, &scripts::RELEASE, build, released)
            .await;
    }

    /// Moves a held entry to the dead letters, as it is in the stream, for `reason`.
    pub(crate) async fn dead_letter(&self, caller: Caller, id: &str, reason: DeadLetterReason) {
        let (text_is, job_key, text) = reason.script_args();
        let build = |invocation: &mut redis::ScriptInvocation<'_>| {
            invocation
                .key(self.queue.jobs_key())
                .key(self.queue.dead_key())
                .key(self.queue.errors_key())
                .key(self.queue.runs_key())
                .key(self.queue.totals_key())
                .key(self.queue.unique_of_key())
                .key(self.queue.cancels_key())
                .arg(GROUP)
                .arg(&self.name)
                .arg(id)
                .arg(&job_key)
                .arg(text_is)
                .arg(text)
                .arg(self.queue.result_prefix())
                .arg(self.config.outcomes_ttl.map_or(0, millis));
        };
        let dead_lettered = &self.counters.dead_lettered;
        let found = self
            .settle_entry(caller, id, &scripts::DEAD_LETTER, build, dead_lettered)
            .await;
        if found == Some(Found::Held) {
            tracing::warn!(queue = %self.queue.name(), id, ?reason, "dead-lettered");
        }
    }

    /// Acknowledges and deletes an entry whose job was cancelled by its key, keeping its
    /// outcome as cancelled if the consumer keeps outcomes.
    pub(crate) async fn settle_cancelled(&self, held: &Held) {
        let build = |invocation: &mut redis::ScriptInvocation<'_>| {
            invocation
                .key(self.queue.jobs_key())
                .key(self.queue.errors_key())
                .key(self.queue.runs_key())
                .key(self.queue.totals_key())
                .key(self.queue.unique_of_key())
                .key(self.queue.cancels_key())
                .arg(GROUP)
                .arg(&self.name)
                .arg(&held.entry_id)
                .arg(held.job_key.to_string())
                .arg(self.queue.result_prefix())
                .arg(self.config.outcomes_ttl.map_or(0, millis));
        };
        let cancelled = &self.counters.cancelled;
        let script = &scripts::SETTLE_CANCELLED;
        let found = self
            .settle_entry(Caller::Settler, &held.entry_id, script, build, cancelled)
            .await;
        if found == Some(Found::Held) {
            tracing::info!(queue = %self.queue.name(), job = %held.job_key, "cancelled");
        }
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

    pub(crate) fn lease_lost(&self, id: &str) {
        Counters::add(&self.counters.leases_lost, 1);
        tracing::warn!(queue = %self.queue.name(), id, "an entry held here was found taken by another consumer (this one's lease had lapsed)");
    }
}
