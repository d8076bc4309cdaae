//! Whether a job of a limited kind may start now: asked of Redis as the job is about to
//! start, before its attempt is counted, so that a job over its limit waits for its turn
//! without using an attempt. Also gives back and renews the slots running jobs hold.

use std::time::Duration;

use crate::store::connection::Connection;
use pool_core::{BoxError, CancellationToken};
use uuid::Uuid;

use crate::Queue;
use crate::consume::batched::Batched;
use crate::consume::limit::kind_limit::KindLimit;
use crate::store::limit_scripts;
use crate::store::queue::GROUP;

/// What the admission found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admitted {
    /// It may start; holding this slot if its kind has a concurrency limit.
    Yes { slot: Option<String> },
    /// Over a limit: moved to the delayed set, to wait for its turn.
    Waits,
    /// Another consumer holds the entry now.
    NotHeld,
    /// Deleted from the stream while pending (acknowledged: nothing to run).
    Deleted,
}

/// The most starts one admission call takes.
const MOST_PER_CALL: usize = 256;

/// The admission of one kind's jobs in one queue, for one consumer.
pub(crate) struct Admission {
    kind: &'static str,
    limit: KindLimit,
    connection: Connection,
    consumer: String,
    /// A slot's lease: the visibility timeout, in ms.
    lease_ms: u64,
    /// The starts waiting to be admitted.
    asked: Batched<(String, Uuid), Admitted>,
    jobs: String,
    rate: String,
    running: String,
    waiters: String,
    delayed: String,
    delayed_jobs: String,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("kind", &self.kind)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Admission {
    pub(crate) fn new(
        queue: &Queue,
        kind: &'static str,
        limit: KindLimit,
        connection: Connection,
        consumer: &str,
        lease: Duration,
    ) -> Self {
        Self {
            kind,
            limit,
            connection,
            consumer: consumer.to_owned(),
            lease_ms: u64::try_from(lease.as_millis()).unwrap_or(u64::MAX),
            asked: Batched::new("the consumer stopped admitting starts"),
            jobs: queue.jobs_key(),
            rate: queue.rate_limits_key(),
            running: queue.running_key(kind),
            waiters: queue.slot_waiters_key(kind),
            delayed: queue.delayed_key(),
            delayed_jobs: queue.delayed_jobs_key(),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    /// Asks whether the job of entry `entry_id` may start now, taking its token and slot if
    /// so, or sending it to wait for its turn if not: in the next batch of this kind's
    /// admissions (see `admit_until`).
    pub(crate) async fn admit(&self, entry_id: &str, job_key: Uuid) -> Result<Admitted, BoxError> {
        self.asked.ask((entry_id.to_owned(), job_key)).await
    }

    /// Admits the starts asked for, in batches of one script call each, until `stop` fires.
    pub(crate) async fn admit_until(&self, stop: &CancellationToken) {
        self.asked
            .answer_until(MOST_PER_CALL, |asked| self.admit_batch(asked), stop)
            .await;
    }

    /// One round trip: the admission of each start (entry id, job key), in order.
    async fn admit_batch(&self, asked: Vec<(String, Uuid)>) -> Result<Vec<Admitted>, String> {
        let (interval, tolerance) = self
            .limit
            .rate
            .map_or((0.0, 0.0), |rate| rate.script_args());
        let most = self.limit.concurrency.unwrap_or(0);
        let mut invocation = limit_scripts::ADMIT.prepare_invoke();
        invocation
            .key(&self.jobs)
            .key(&self.rate)
            .key(&self.running)
            .key(&self.waiters)
            .key(&self.delayed)
            .key(&self.delayed_jobs)
            .arg(GROUP)
            .arg(&self.consumer)
            .arg(self.kind)
            .arg(interval)
            .arg(tolerance)
            .arg(most)
            .arg(self.lease_ms);
        for (entry_id, job_key) in &asked {
            invocation.arg(entry_id).arg(job_key.to_string());
        }
        let verdicts: Vec<i64> = invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(|error| error.to_string())?;
        if verdicts.len() != asked.len() {
            return Err(format!(
                "ADMIT gave {} verdicts for {} starts",
                verdicts.len(),
                asked.len()
            ));
        }
        Ok(asked
            .iter()
            .zip(verdicts)
            .map(|((entry_id, _), verdict)| match verdict {
                1 => Admitted::Yes {
                    slot: (most > 0).then(|| format!("{}/{entry_id}", self.consumer)),
                },
                2 => Admitted::Waits,
                3 => Admitted::Deleted,
                _ => Admitted::NotHeld,
            })
            .collect())
    }

    /// Gives `slots` back, and sends the kind's first waiting jobs to the stream for the
    /// slots free now: one call. A failure is only logged: the slots' leases end by
    /// themselves.
    pub(crate) async fn free_slots(&self, slots: &[String]) {
        let mut invocation = limit_scripts::FREE_SLOTS.prepare_invoke();
        invocation
            .key(&self.running)
            .key(&self.waiters)
            .key(&self.delayed)
            .key(&self.delayed_jobs)
            .key(&self.jobs)
            .arg(self.limit.concurrency.unwrap_or(0));
        for slot in slots {
            invocation.arg(slot);
        }
        let freed: redis::RedisResult<u64> =
            invocation.invoke_async(&mut self.connection.clone()).await;
        if let Err(error) = freed {
            tracing::warn!(kind = self.kind, %error, "could not give a slot back: it comes free when its lease ends");
        }
    }

    /// Renews the leases of `slots`, held by running jobs. A failure is only logged: the
    /// next round tries again, well within the lease.
    pub(crate) async fn renew(&self, slots: &[String]) {
        let mut invocation = limit_scripts::RENEW_SLOTS.prepare_invoke();
        invocation.key(&self.running).arg(self.lease_ms);
        for slot in slots {
            invocation.arg(slot);
        }
        let renewed: redis::RedisResult<u64> =
            invocation.invoke_async(&mut self.connection.clone()).await;
        if let Err(error) = renewed {
            tracing::warn!(kind = self.kind, %error, "could not renew running jobs' slots");
        }
    }
}
