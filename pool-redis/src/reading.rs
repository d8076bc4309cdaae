//! Reading new entries into the local pool, and taking in any entry (new or reclaimed): run
//! it, or dead-letter it if it cannot run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pool_core::{Executor, TrySubmitError};
use redis::RedisResult;
use redis::streams::StreamReadReply;

use crate::connection::{Link, is_connection_error};
use crate::consumer::Shared;
use crate::group::{ensure_group, is_no_group};
use crate::queue::GROUP;
use crate::registry::StartCount;
use crate::scripts;
use crate::stats::Counters;
use crate::wire::{Entry, Job};

/// Tries of a command that Redis refuses for a reason other than the connection.
const COMMAND_ERROR_TRIES: u32 = 3;

/// Deliveries per allowed attempt after which an entry that never started is dead-lettered.
const RUNAWAY_DELIVERIES: u32 = 4;

/// The longest wait between attempts to reach Redis again.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl<E: Executor> Shared<E> {
    /// Reads new entries while there is room for them, and reclaims lapsed ones every
    /// reclaim period, until a shutdown.
    pub(crate) async fn read_until_stopped(&self) {
        // Its own connection, with no response timeout: see `Link`.
        let mut reads = Link::blocking(&self.client);
        let mut commands = Link::commands(&self.client);
        let mut backoff = Backoff::default();
        let (mut cursor, mut reclaim_at) = ("0-0".to_owned(), Instant::now());
        let mut forget_at = Instant::now() + self.config.gone_after() / 2;
        loop {
            let room = self.config.read_batch;
            let Some(mut taken) = self.slots.take(room, &self.stopping).await else {
                break;
            };
            if self.stopping.is_cancelled() {
                self.slots.give(taken);
                break;
            }
            // Reclaiming first, with the room just taken: entries nobody runs wait longer
            // than new ones already.
            if Instant::now() >= reclaim_at {
                taken -= self.reclaim_into(&mut commands, &mut cursor, taken).await;
                reclaim_at = Instant::now() + self.config.reclaim_every;
                if Instant::now() >= forget_at {
                    self.forget_gone_consumers(&mut commands).await;
                    forget_at = Instant::now() + self.config.gone_after() / 2;
                }
                if taken == 0 {
                    continue;
                }
            }
            // Never cancelled once sent: entries a dropped `XREADGROUP` was given would sit in
            // this consumer's pending list with nobody running them. A shutdown waits for the
            // read to return (at most the block time), and releases what it brought.
            match self.read(&mut reads, taken).await {
                Ok(entries) => {
                    backoff.reset();
                    self.slots.give(taken - entries.len());
                    Counters::add(&self.counters.read, entries.len() as u64);
                    for entry in entries {
                        self.take_in(&mut commands, entry).await;
                    }
                }
                Err(error) => {
                    self.slots.give(taken);
                    reads.failed(&error);
                    if is_no_group(&error) {
                        tracing::warn!(queue = %self.queue.name(), "the group is gone (Redis lost its data?): creating it again");
                        if let Ok(connection) = commands.get().await {
                            let _ = ensure_group(connection, &self.queue).await;
                        }
                    } else {
                        tracing::warn!(queue = %self.queue.name(), %error, "reading failed: trying again");
                    }
                    self.pause(backoff.next()).await;
                }
            }
        }
    }

    async fn read(&self, link: &mut Link, count: usize) -> RedisResult<Vec<Entry>> {
        let connection = link.get().await?;
        // Not longer than the reclaim period: the reader reclaims between reads.
        let block = self.config.block.min(self.config.reclaim_every);
        let block_ms = idle_ms(block).max(1);
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(&self.name)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(self.queue.jobs_key())
            .arg(">")
            .query_async(connection)
            .await?;
        let entries = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .map(|entry| Entry::from_stream(&entry, 1))
            .collect();
        Ok(entries)
    }

    /// Takes in one entry this consumer now holds, with the slot taken for it: queues it on
    /// the local pool, or dead-letters it (it cannot run, or is out of attempts), or gives it
    /// back (the consumer is stopping).
    pub(crate) async fn take_in(&self, commands: &mut Link, entry: Entry) {
        let (Some(kind), Some(key), Some(payload)) =
            (entry.kind.clone(), entry.key, entry.payload.clone())
        else {
            let reason = "malformed entry: it needs the fields kind, key (a UUID) and payload";
            self.dead_letter_malformed(commands, &entry, reason).await;
            self.slots.give(1);
            return;
        };
        let job = Job {
            id: entry.id,
            kind,
            key,
            payload,
            deliveries: entry.deliveries,
            attempt: Arc::default(),
        };
        // Attempts count runs (see `StartCount`); deliveries that never started one cost
        // nothing. Only an entry delivered over and over without ever starting (consumers
        // dying with it queued, again and again) is given up on here.
        let max = self.config.retry.max_attempts;
        if job.deliveries > max.saturating_mul(RUNAWAY_DELIVERIES) {
            let reason = format!(
                "delivered {} times without an outcome: its consumers keep dying",
                job.deliveries
            );
            self.dead_letter(commands, &job, "", &reason).await;
            self.slots.give(1);
            return;
        }
        let start = StartCount {
            connection: Arc::clone(&self.runs),
            runs_key: self.queue.runs_key(),
            errors_key: self.queue.errors_key(),
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
                self.dead_letter(commands, &job, &undecodable.to_string(), "")
                    .await;
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
                self.release(commands, &job).await;
                self.slots.give(1);
            }
        }
    }

    /// Dead-letters an entry whose fields are missing or wrong, as it is.
    async fn dead_letter_malformed(&self, commands: &mut Link, entry: &Entry, reason: &str) {
        let job = Job {
            id: entry.id.clone(),
            kind: entry.kind.clone().unwrap_or_default(),
            key: entry.key.unwrap_or_default(),
            payload: entry.payload.clone().unwrap_or_default(),
            deliveries: entry.deliveries,
            attempt: Arc::default(),
        };
        self.dead_letter(commands, &job, reason, "").await;
    }

    /// Moves a held entry to the dead letters: with `error`, or (if empty) with the error its
    /// last failed run kept, after `reason`.
    pub(crate) async fn dead_letter(
        &self,
        commands: &mut Link,
        job: &Job,
        error: &str,
        reason: &str,
    ) {
        let moved: Option<u64> = self
            .with_retries(commands, |mut connection| {
                let mut invocation = scripts::DEAD_LETTER.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.dead_key())
                    .key(self.queue.errors_key())
                    .key(self.queue.runs_key())
                    .key(self.queue.totals_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(&job.id)
                    .arg(&job.kind)
                    .arg(job.key.to_string())
                    .arg(&job.payload)
                    .arg(error)
                    .arg(reason);
                async move { invocation.invoke_async::<u64>(&mut connection).await }
            })
            .await;
        match moved {
            Some(1) => {
                Counters::add(&self.counters.dead_lettered, 1);
                tracing::warn!(queue = %self.queue.name(), job = %job.key, kind = %job.kind, error, reason, "dead-lettered");
                self.keep_outcome(
                    commands,
                    job,
                    &crate::RemoteOutcome::DeadLettered {
                        error: if error.is_empty() {
                            reason.to_owned()
                        } else {
                            error.to_owned()
                        },
                    },
                )
                .await;
            }
            Some(_) => Counters::add(&self.counters.leases_lost, 1),
            None => {}
        }
    }

    /// Gives a held entry back to the group for another consumer to take at once, without
    /// charging an attempt.
    pub(crate) async fn release(&self, commands: &mut Link, job: &Job) {
        let idle_ms = idle_ms(self.config.visibility.saturating_mul(2));
        let released: Option<u64> = self
            .with_retries(commands, |mut connection| {
                let mut invocation = scripts::RELEASE.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(&job.id)
                    .arg(idle_ms);
                async move { invocation.invoke_async::<u64>(&mut connection).await }
            })
            .await;
        match released {
            Some(1) => Counters::add(&self.counters.released, 1),
            Some(_) => Counters::add(&self.counters.leases_lost, 1),
            None => {}
        }
    }

    /// Runs a command until it succeeds, reconnecting between attempts; gives up (`None`)
    /// once the consumer is stopping and a few attempts failed: the entry then stays pending,
    /// and another consumer reclaims it after the visibility timeout.
    pub(crate) async fn with_retries<T, F, Fut>(&self, link: &mut Link, mut command: F) -> Option<T>
    where
        F: FnMut(redis::aio::MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let mut backoff = Backoff::default();
        for attempt in 1.. {
            let result = match link.get().await {
                // A clone: cheap, and the command's future owns it.
                Ok(connection) => command(connection.clone()).await,
                Err(error) => Err(error),
            };
            match result {
                Ok(value) => return Some(value),
                Err(error) => {
                    link.failed(&error);
                    tracing::warn!(queue = %self.queue.name(), %error, attempt, "a queue command failed: trying again");
                    if is_no_group(&error) {
                        // Redis lost the group (restarted without its data): the entries it
                        // knew are gone with it; new ones need the group back.
                        if let Ok(connection) = link.get().await {
                            let _ = ensure_group(connection, &self.queue).await;
                        }
                    } else if !is_connection_error(&error) && attempt >= COMMAND_ERROR_TRIES {
                        // Not the connection, and not going away by itself: given up on. The
                        // entry stays pending, for a reclaim after the visibility timeout.
                        tracing::error!(queue = %self.queue.name(), %error, "a queue command keeps failing: given up");
                        return None;
                    }
                    if self.stopping.is_cancelled() && attempt >= 5 {
                        return None;
                    }
                    self.executor.sleep(backoff.next()).await;
                }
            }
        }
        None
    }
}

/// Milliseconds, for a command argument.
pub(crate) fn idle_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Waits that double from 50 ms up to [`MAX_BACKOFF`], between attempts to reach Redis.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    pub(crate) fn next(&mut self) -> Duration {
        self.failures = (self.failures + 1).min(10);
        Duration::from_millis(50)
            .saturating_mul(1 << (self.failures - 1))
            .min(MAX_BACKOFF)
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}
