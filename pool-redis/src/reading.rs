//! Reading new entries into the local pool, and taking in any entry (new, reclaimed or
//! recovered): run it, or dead-letter it if it cannot run.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use futures_lite::future;
use pool_core::{Executor, TrySubmitError};
use redis::aio::ConnectionManager;
use redis::{RedisError, Value};

use crate::connection::{self, RESPONSE_TIMEOUT};
use crate::error::is_no_permission;
use crate::group::{ensure_group, is_no_group};
use crate::queue::GROUP;
use crate::registry::StartCount;
use crate::retrying::{Backoff, millis};
use crate::settlements::{Caller, DeadLetterWhy};
use crate::shared::Shared;
use crate::stats::Counters;
use crate::wire::Entry;

/// Why a read brought nothing.
enum ReadFailed {
    /// No answer within the block time and the response timeout: the connection may be
    /// half-open, so it is opened anew.
    NoAnswer,
    /// Redis, or the connection, said no.
    Redis(RedisError),
}

/// Deliveries per allowed attempt after which an entry that never started is dead-lettered.
const RUNAWAY_DELIVERIES: u32 = 4;

impl<E: Executor> Shared<E> {
    /// Reads new entries while there is room for them, and reclaims lapsed ones every
    /// reclaim period, until a shutdown.
    pub(crate) async fn read_until_stopped(&self) {
        let mut reads = match connection::blocking(&self.client) {
            Ok(reads) => reads,
            Err(error) => {
                tracing::error!(queue = %self.queue.name(), %error, "cannot open the reading connection");
                return;
            }
        };
        let mut backoff = Backoff::default();
        let (mut cursor, mut reclaim_at) = ("0-0".to_owned(), Instant::now());
        let mut forget_at = Instant::now() + self.config.gone_after() / 2;
        // A read failed: Redis may have delivered entries whose reply was lost.
        let mut stranded = false;
        loop {
            let room = self.config.read_batch;
            let Some(mut taken) = self.slots.take(room, &self.stopping).await else {
                break;
            };
            if self.stopping.is_cancelled() {
                self.slots.give(taken);
                break;
            }
            if stranded {
                let (used, all) = self.recover_stranded(taken).await;
                taken -= used;
                stranded = !all;
            }
            // Reclaiming first, with the room just taken: entries nobody runs wait longer
            // than new ones already.
            if taken > 0 && Instant::now() >= reclaim_at {
                let (used, more_held) = self.reclaim_into(&mut cursor, taken).await;
                taken -= used;
                stranded |= more_held;
                reclaim_at = Instant::now() + self.config.reclaim_every;
                if Instant::now() >= forget_at {
                    self.forget_gone_consumers().await;
                    forget_at = Instant::now() + self.config.gone_after() / 2;
                }
            }
            if taken == 0 {
                continue;
            }
            match self.read(&mut reads, taken).await {
                Ok(entries) => {
                    backoff.reset();
                    self.slots.give(taken - entries.len().min(taken));
                    Counters::add(&self.counters.read, entries.len() as u64);
                    for entry in entries {
                        self.take_in(Caller::Reader, entry).await;
                    }
                }
                Err(ReadFailed::NoAnswer) => {
                    self.slots.give(taken);
                    stranded = true;
                    tracing::warn!(queue = %self.queue.name(), "a read got no answer in time: reading again on a new connection");
                    if let Ok(fresh) = connection::blocking(&self.client) {
                        reads = fresh;
                    }
                }
                Err(ReadFailed::Redis(error)) => {
                    self.slots.give(taken);
                    if is_no_permission(&error) {
                        self.fail(error.into());
                        break;
                    }
                    stranded = true;
                    if is_no_group(&error) {
                        tracing::warn!(queue = %self.queue.name(), "the group is gone (Redis lost its data?): creating it again");
                        let _ = ensure_group(&mut self.commands.clone(), &self.queue).await;
                    } else {
                        tracing::warn!(queue = %self.queue.name(), %error, "reading failed: trying again");
                    }
                    self.pause(backoff.next()).await;
                }
            }
        }
    }

    /// One `XREADGROUP` for up to `count` new entries, each parsed on its own.
    ///
    /// Waited for up to the block time plus the response timeout (past it Redis is frozen
    /// or cut off), or a shutdown's deadline: a read given up on may have delivered entries
    /// to nobody who knows; the reader then takes them in once Redis answers (see
    /// `recover_stranded`), and a stopping consumer leaves them pending, for a reclaim.
    async fn read(
        &self,
        reads: &mut ConnectionManager,
        count: usize,
    ) -> Result<Vec<Entry>, ReadFailed> {
        // Not longer than the reclaim period: the reader reclaims between reads.
        let block = self.config.block.min(self.config.reclaim_every);
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(GROUP)
            .arg(&self.name)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(millis(block).max(1))
            .arg("STREAMS")
            .arg(self.queue.jobs_key())
            .arg(">");
        let reply = async {
            command
                .query_async::<Value>(reads)
                .await
                .map_err(ReadFailed::Redis)
        };
        // Redis answers a blocking read within its block time: past it and the response
        // timeout, the connection is dead without saying so (a half-open socket).
        let cut_off = async {
            future::or(
                self.executor.sleep(block + RESPONSE_TIMEOUT),
                self.abandoned.cancelled(),
            )
            .await;
            Err(ReadFailed::NoAnswer)
        };
        let reply = future::or(reply, cut_off).await?;
        Ok(Entry::parse_read(&reply))
    }

    /// Takes in this consumer's pending entries that it does not hold (a read whose reply
    /// was lost delivered them to nobody who knows), up to `room` of them, with the slots
    /// taken for them. Returns how many slots it used, and whether it found them all.
    async fn recover_stranded(&self, room: usize) -> (usize, bool) {
        let (found, all) = {
            // No settlement is under way: each entry is either held or settled in Redis.
            let _look = self.settling.read().await;
            let held = self.held_ids();
            let given_up: HashSet<String> = self.given_up().keys().cloned().collect();
            let known = held.len() + given_up.len();
            let Some(pending) = self.own_pending(known + room + 1).await else {
                return (0, false);
            };
            let all = pending.len() <= known + room;
            // Given up on and no longer pending here: another consumer has them.
            if all {
                let still: HashSet<&String> = pending.iter().map(|entry| &entry.id).collect();
                self.given_up().retain(|id, _| still.contains(id));
            }
            let stranded: Vec<Entry> = pending
                .into_iter()
                .filter(|entry| !held.contains(&entry.id) && !given_up.contains(&entry.id))
                .collect();
            (stranded, all)
        };
        let mut used = 0;
        for entry in found {
            if entry.fields.is_none() {
                self.forget_deleted(&entry.id).await;
                continue;
            }
            if used == room {
                return (used, false);
            }
            used += 1;
            tracing::info!(queue = %self.queue.name(), id = %entry.id, "took in an entry a lost read reply had delivered");
            Counters::add(&self.counters.read, 1);
            Counters::add(&self.counters.recovered, 1);
            self.take_in(Caller::Reader, entry).await;
        }
        (used, all)
    }

    /// Up to `count` of this consumer's pending entries, oldest first.
    async fn own_pending(&self, count: usize) -> Option<Vec<Entry>> {
        let reply: Vec<Value> = self
            .with_retries(|mut connection| {
                let mut invocation = crate::scripts::OWN_PENDING.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg("-")
                    .arg(count);
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        Some(
            reply
                .iter()
                .filter_map(|found| {
                    let Value::Array(parts) = found else {
                        return None;
                    };
                    let id: String = redis::from_redis_value_ref(parts.first()?).ok()?;
                    let deliveries: u32 = redis::from_redis_value_ref(parts.get(1)?).ok()?;
                    Some(match parts.get(2) {
                        Some(entry @ Value::Array(_)) => Entry::parse(entry, deliveries)?,
                        _ => Entry {
                            id,
                            fields: None,
                            deliveries,
                        },
                    })
                })
                .collect(),
        )
    }

    /// Takes in one entry this consumer now holds, with the slot taken for it: queues it on
    /// the local pool, or dead-letters it (it cannot run, or is out of attempts), or gives it
    /// back (the consumer is stopping).
    pub(crate) async fn take_in(&self, caller: Caller, entry: Entry) {
        let job = match entry.job() {
            Ok(job) => job,
            Err(reason) => {
                let why = DeadLetterWhy::Error(reason);
                if !self.dead_letter(caller, &entry.id, None, why).await {
                    self.gave_up_on([entry.id]);
                }
                self.slots.give(1);
                return;
            }
        };
        // Attempts count runs (see `StartCount`); deliveries that never started one cost
        // nothing. Only an entry delivered over and over without ever starting (consumers
        // dying with it queued, again and again) is given up on here.
        let max = self.config.retry.max_attempts;
        if job.deliveries > max.saturating_mul(RUNAWAY_DELIVERIES) {
            let why = DeadLetterWhy::LastRunError(format!(
                "delivered {} times without an outcome: its consumers keep dying",
                job.deliveries
            ));
            if !self.dead_letter(caller, &job.id, Some(job.key), why).await {
                self.gave_up_on([job.id]);
            }
            self.slots.give(1);
            return;
        }
        let start = StartCount {
            connection: self.commands.clone(),
            errors_key: self.queue.errors_key(),
            runs_key: self.queue.runs_key(),
            entry_id: job.id.clone(),
            job_key: job.key,
            starts: self.starts.clone(),
            redelivered: job.deliveries > 1,
            isolation: Arc::clone(&self.isolation),
            attempt: Arc::clone(&job.attempt),
        };
        let local = match self
            .registry
            .decode(&job.kind, &job.payload, job.key, start)
        {
            Ok(local) => local,
            Err(undecodable) => {
                let why = DeadLetterWhy::Error(undecodable.to_string());
                if !self.dead_letter(caller, &job.id, Some(job.key), why).await {
                    self.gave_up_on([job.id]);
                }
                self.slots.give(1);
                return;
            }
        };
        // Held before the local job can finish: its outcome finds it here.
        let mut held = self.held();
        match self.pool.try_submit_detached(local) {
            Ok(local_id) => {
                held.insert(local_id, job);
            }
            Err(TrySubmitError::Closed(_) | TrySubmitError::Full(_)) => {
                drop(held);
                if !self.release(caller, &job.id).await {
                    self.gave_up_on([job.id]);
                }
                self.slots.give(1);
            }
        }
    }
}
