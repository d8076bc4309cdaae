//! Taking over entries nobody is running: a crashed consumer's, a failed job's once its
//! back-off has passed, or one a stopping consumer released. The reader does it between
//! reads, with the room it took for them.

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

/// `XAUTOCLAIM` steps per reclaim period, at most.
const MAX_STEPS: u32 = 16;

impl<E: Executor> Shared<E> {
    /// Reclaims entries idle past the visibility timeout into the `room` slots the caller
    /// took, following `XAUTOCLAIM`'s cursor through the pending list, and takes them in.
    /// Returns how many slots it used.
    pub(crate) async fn reclaim_into(
        &self,
        commands: &mut Link,
        cursor: &mut String,
        room: usize,
    ) -> usize {
        let mut used = 0;
        // Each step looks at no more than ten times its count of pending entries: steps that
        // find nothing walk on, up to a bound per period, so that a long pending list (back-
        // offs still running) does not hide the reclaimable entries behind it for long.
        let mut steps = 0;
        while used < room && steps < MAX_STEPS {
            steps += 1;
            let Some((next, entries)) = self.reclaim(commands, cursor, room - used).await else {
                break;
            };
            let found = entries.len();
            used += found;
            Counters::add(&self.counters.read, found as u64);
            Counters::add(&self.counters.reclaimed, found as u64);
            for entry in entries {
                self.take_in(commands, entry).await;
            }
            let walked_through = next == "0-0";
            *cursor = next;
            if walked_through {
                break;
            }
        }
        used
    }

    /// Removes from the group the consumers that hold nothing and have not read for
    /// [`gone_after`](crate::consumer::Config::gone_after): processes that died after their
    /// entries were reclaimed. Names are never reused, so without this they would pile up. A consumer that
    /// holds entries is never removed (that would drop them from the group), and a live one
    /// reads every reclaim period, so it is never that idle (and a read would add it again).
    pub(crate) async fn forget_gone_consumers(&self, commands: &mut Link) {
        let gone_after = idle_ms(self.config.gone_after());
        let Ok(connection) = commands.get().await else {
            return;
        };
        let Ok(consumers) = crate::status::consumers(connection, &self.queue).await else {
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
                .arg(GROUP)
                .arg(&consumer.name)
                .arg(gone_after);
            if let Ok(1) = invocation.invoke_async::<u64>(connection).await {
                tracing::info!(queue = %self.queue.name(), consumer = %consumer.name, "removed a consumer gone from the group");
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
