//! Taking over entries nobody is running: a crashed consumer's, a failed job's once its
//! back-off has passed, or one a stopping consumer released.

use pool_core::Executor;
use redis::Value;
use redis::streams::StreamAutoClaimReply;

use crate::connection::Link;
use crate::consumer::Shared;
use crate::queue::GROUP;
use crate::reading::idle_ms;
use crate::scripts;
use crate::stats::Counters;
use crate::wire::Entry;

impl<E: Executor> Shared<E> {
    /// Every reclaim period, while there is room, reclaims entries idle past the visibility
    /// timeout, following `XAUTOCLAIM`'s cursor through the pending list; until a shutdown.
    pub(crate) async fn reclaim_until_stopped(&self) {
        let mut commands = Link::commands(&self.client);
        let mut cursor = "0-0".to_owned();
        while !self.stopping.is_cancelled() {
            self.pause(self.config.reclaim_every).await;
            if self.stopping.is_cancelled() {
                break;
            }
            // Until the pending list is walked through, or there is no more room.
            loop {
                let taken = self.slots.take_free(self.config.read_batch);
                if taken == 0 {
                    break;
                }
                let Some((next, entries)) = self.reclaim(&mut commands, &cursor, taken).await
                else {
                    self.slots.give(taken);
                    break;
                };
                self.slots.give(taken - entries.len());
                let found = entries.len();
                Counters::add(&self.counters.read, found as u64);
                Counters::add(&self.counters.reclaimed, found as u64);
                for entry in entries {
                    self.take_in(&mut commands, entry).await;
                }
                let walked_through = next == "0-0";
                cursor = next;
                if walked_through || found == 0 || self.stopping.is_cancelled() {
                    break;
                }
            }
        }
    }

    /// One `XAUTOCLAIM` step: the next cursor and the entries claimed, with their counts.
    async fn reclaim(
        &self,
        commands: &mut Link,
        cursor: &str,
        count: usize,
    ) -> Option<(String, Vec<Entry>)> {
        let min_idle = idle_ms(self.config.visibility);
        let (reply, counts): (Value, Vec<u32>) = self
            .with_retries(commands, |mut connection| {
                let mut invocation = scripts::RECLAIM.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .arg(GROUP)
                    .arg(&self.name)
                    .arg(min_idle)
                    .arg(cursor)
                    .arg(count);
                async move {
                    invocation
                        .invoke_async::<(Value, Vec<u32>)>(&mut connection)
                        .await
                }
            })
            .await?;
        let reply: StreamAutoClaimReply = match redis::from_redis_value(reply) {
            Ok(reply) => reply,
            Err(error) => {
                tracing::warn!(%error, "an XAUTOCLAIM reply this crate cannot read");
                return None;
            }
        };
        // Entries deleted from the stream while pending: nothing to run, counted.
        Counters::add(
            &self.counters.deleted_while_pending,
            reply.deleted_ids.len() as u64,
        );
        let entries = reply
            .claimed
            .iter()
            .zip(counts)
            .map(|(entry, deliveries)| Entry::from_stream(entry, deliveries))
            .collect();
        Some((reply.next_stream_id, entries))
    }
}
