//! Recovering entries a lost read reply delivered to this consumer without its knowing:
//! pending under its name in Redis, held nowhere here.

use std::collections::HashSet;

use pool_core::Executor;
use redis::Value;

use crate::consume::queue_state::QueueState;
use crate::consume::settle::settlements::Caller;
use crate::consume::stats::Counters;
use crate::store::entry::Entry;
use crate::store::queue::GROUP;

impl<E: Executor> QueueState<E> {
    /// Takes in this consumer's pending entries that it does not hold (a read whose reply
    /// was lost delivered them to nobody who knows), up to `room` of them, with the slots
    /// taken for them. Returns how many slots it used, and whether it found them all.
    pub(crate) async fn recover_stranded(&self, room: usize) -> (usize, bool) {
        let (found, all) = {
            // No settlement is under way: each entry is either held or settled in Redis.
            let _look = self.settling.read().await;
            let held = self.holdings.entry_ids();
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
                let mut invocation = crate::store::scripts::OWN_PENDING.prepare_invoke();
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
}
