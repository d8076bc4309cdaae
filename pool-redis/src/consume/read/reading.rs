//! Reading new entries into the local pool, and reclaiming and recovering others between
//! reads, with the room taken for them.

use std::time::Instant;

use crate::store::connection::Connection;
use futures_lite::future;
use pool_core::Executor;
use redis::{RedisError, Value};

use crate::consume::queue_state::QueueState;
use crate::consume::settle::settlements::Caller;
use crate::consume::stats::Counters;
use crate::consume::with_retries::{Backoff, millis};
use crate::error::is_no_permission;
use crate::store::connection::RESPONSE_TIMEOUT;
use crate::store::entry::Entry;
use crate::store::group::{ensure_group, is_no_group};
use crate::store::queue::GROUP;

/// Why a read brought nothing.
enum ReadFailed {
    /// No answer within the block time and the response timeout: the connection may be
    /// half-open, so it is opened anew.
    NoAnswer,
    /// Redis, or the connection, said no.
    Redis(RedisError),
}

impl<E: Executor> QueueState<E> {
    /// Reads new entries while there is room for them, and reclaims lapsed ones every
    /// reclaim period, until a shutdown.
    pub(crate) async fn read_until_stopped(&self) {
        let mut reads = match self.server.blocking() {
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
            let Some(mut taken) = self.slots.take(self.index, room, &self.stopping).await else {
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
                // A reclaim that filled its room may have left more behind (a crashed
                // consumer held more than one read's worth): the next goes on at once, rather
                // than a read batch per period.
                let filled = used == taken;
                taken -= used;
                stranded |= more_held;
                reclaim_at = if filled {
                    Instant::now()
                } else {
                    Instant::now() + self.config.reclaim_every
                };
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
                    // A short read found the queue drained: its reader asks for less.
                    self.slots.found(self.index, entries.len() < taken);
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
                    if let Ok(fresh) = self.server.blocking() {
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
    async fn read(&self, reads: &mut Connection, count: usize) -> Result<Vec<Entry>, ReadFailed> {
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
}
