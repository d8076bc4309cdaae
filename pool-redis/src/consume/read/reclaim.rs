//! Taking over entries nobody is running: a crashed or paused consumer's, a failed job's once
//! its back-off has passed, or one a stopping consumer released. The reader does it between
//! reads, with the room it took for them.

use pool_core::Executor;
use redis::Value;

use crate::consume::queue_state::QueueState;
use crate::consume::settle::settlements::Caller;
use crate::consume::stats::Counters;
use crate::consume::with_retries::millis;
use crate::store::entry::Entry;
use crate::store::queue::GROUP;
use crate::store::scripts;

/// One reclaim step: the next cursor, the entries claimed with why each was idle, and how
/// many entries Redis says this consumer holds.
type Reclaimed = (String, Vec<(Entry, i64)>, u64);

/// `XAUTOCLAIM` steps per reclaim period, at most.
const MAX_STEPS: u32 = 16;

/// Why a reclaimed entry was idle, as the reclaim script tells it (1: its lease lapsed).
const BACKOFF_PASSED: i64 = 2;
const RELEASED: i64 = 3;

impl<E: Executor> QueueState<E> {
    /// Reclaims entries idle past the visibility timeout into the `room` slots the caller
    /// took, following `XAUTOCLAIM`'s cursor through the pending list, and takes them in.
    /// Returns how many slots it used, and whether Redis says this consumer holds more
    /// entries than it knows of (a read whose reply was lost, with or without an error).
    /// The steps' reclaims are counted by why the entries were idle.
    pub(crate) async fn reclaim_into(&self, cursor: &mut String, room: usize) -> (usize, bool) {
        let mut used = 0;
        let mut stranded = false;
        let forget_after = self.config.visibility.saturating_mul(2);
        self.given_up()
            .retain(|_, given_up_at| given_up_at.elapsed() < forget_after);
        // Each step looks at no more than ten times its count of pending entries: steps that
        // find nothing walk on, up to a bound per period, so that a long pending list (back-
        // offs still running) does not hide the reclaimable entries behind it for long.
        let mut steps = 0;
        while used < room && steps < MAX_STEPS {
            steps += 1;
            let Some((next, claimed, own)) = self.reclaim(cursor, room - used).await else {
                break;
            };
            // Entries this consumer holds already (its renewal was late): the claim renewed
            // them; they run once, as they are, their delivery count put back.
            let held = self.holdings.entry_ids();
            let (again, claimed): (Vec<_>, Vec<_>) = claimed
                .into_iter()
                .partition(|(entry, _)| held.contains(&entry.id));
            self.uncount_deliveries(&again).await;
            // Known here: held, given up on, or just taken in. (An entry being settled is
            // pending still and held no more: a false alarm, which the look clears.)
            let known = held.len() + self.given_up().len() + claimed.len();
            stranded = own > known as u64;
            for (entry, cause) in claimed {
                self.given_up().remove(&entry.id);
                let counter = match cause {
                    // Parked for a retry by a consumer of an earlier version.
                    BACKOFF_PASSED => &self.counters.retries_taken,
                    RELEASED => &self.counters.releases_taken,
                    _ => &self.counters.reclaimed,
                };
                Counters::add(counter, 1);
                Counters::add(&self.counters.read, 1);
                used += 1;
                self.take_in(Caller::Reader, entry).await;
            }
            let walked_through = next == "0-0";
            *cursor = next;
            if walked_through {
                break;
            }
        }
        (used, stranded)
    }

    /// Puts back the delivery count of entries this consumer claimed while it held them:
    /// those claims were no deliveries.
    async fn uncount_deliveries(&self, entries: &[(Entry, i64)]) {
        for (entry, _) in entries {
            let mut command = redis::cmd("XCLAIM");
            command
                .arg(self.queue.jobs_key())
                .arg(GROUP)
                .arg(&self.name)
                .arg(0)
                .arg(&entry.id)
                .arg("RETRYCOUNT")
                .arg(entry.deliveries.saturating_sub(1))
                .arg("JUSTID");
            let _: Option<redis::Value> = self
                .with_retries(|mut connection| {
                    let command = command.clone();
                    async move { command.query_async(&mut connection).await }
                })
                .await;
        }
    }

    /// Removes from the group the consumers that hold nothing and have not read for
    /// [`gone_after`](crate::consume::config::Config::gone_after): processes that died after their
    /// entries were reclaimed. Names are never reused, so without this they would pile up.
    /// A consumer that holds entries is never removed (that would drop them from the group),
    /// and a live one reads every reclaim period, so it is never that idle (and a read
    /// would add it again).
    pub(crate) async fn forget_gone_consumers(&self) {
        let gone_after = millis(self.config.gone_after());
        let mut connection = self.commands.clone();
        let Ok(consumers) =
            crate::inspect::queue_stats::consumers(&mut connection, &self.queue).await
        else {
            return;
        };
        for consumer in consumers {
            if consumer.pending > 0 || consumer.idle_ms < gone_after || consumer.name == self.name {
                continue;
            }
            // The script re-checks both under Redis's single thread: nothing changes between
            // the check and the removal.
            let mut invocation = scripts::FORGET.prepare_invoke();
            invocation
                .key(self.queue.jobs_key())
                .key(self.queue.memo_key(&consumer.name))
                .key(self.queue.presence_key())
                .arg(GROUP)
                .arg(&consumer.name)
                .arg(gone_after);
            if let Ok(1) = invocation.invoke_async::<u64>(&mut connection).await {
                tracing::info!(queue = %self.queue.name(), consumer = %consumer.name, "removed a consumer gone from the group");
            }
        }
    }

    /// One `XAUTOCLAIM` step: the next cursor and the entries claimed, with their counts;
    /// each counted by why it was idle.
    async fn reclaim(&self, cursor: &str, count: usize) -> Option<Reclaimed> {
        let min_idle = millis(self.config.visibility);
        let reply: Vec<Value> = self
            .with_retries(|mut connection| {
                let mut invocation = scripts::RECLAIM.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.parked_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(min_idle)
                    .arg(cursor)
                    .arg(count);
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        let [next, deleted, entries, counts, causes, own] = <[Value; 6]>::try_from(reply).ok()?;
        let own: u64 = redis::from_redis_value(own).unwrap_or(0);
        let next: String = redis::from_redis_value(next).ok()?;
        let deleted: Vec<Value> = redis::from_redis_value(deleted).unwrap_or_default();
        // Entries deleted from the stream while pending: nothing to run, counted.
        Counters::add(&self.counters.deleted_while_pending, deleted.len() as u64);
        let entries: Vec<Value> = redis::from_redis_value(entries).unwrap_or_default();
        let counts: Vec<u32> = redis::from_redis_value(counts).unwrap_or_default();
        let causes: Vec<i64> = redis::from_redis_value(causes).unwrap_or_default();
        let mut claimed = Vec::with_capacity(entries.len());
        for ((entry, deliveries), cause) in entries.iter().zip(counts).zip(causes) {
            let Some(entry) = Entry::parse(entry, deliveries) else {
                tracing::error!(?entry, "a reclaimed entry without an id: skipped");
                continue;
            };
            claimed.push((entry, cause));
        }
        Some((next, claimed, own))
    }
}
