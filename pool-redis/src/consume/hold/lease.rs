//! Keeping the lease of every held entry: Redis starts an entry's idle clock when it is
//! delivered, so an entry queued locally behind long jobs would look abandoned unless its
//! holder says otherwise.

use futures_lite::future;
use pool_core::Executor;
use uuid::Uuid;

use crate::consume::queue_state::QueueState;
use crate::consume::stats::Counters;
use crate::store::queue::GROUP;
use crate::store::scripts;

/// Entries renewed per script call.
const RENEW_CHUNK: usize = 512;

/// What a renewal round found, by stream id.
#[derive(Debug, Default)]
struct Renewed {
    /// Taken by another consumer.
    lost: Vec<String>,
    /// Deleted from the stream while held.
    deleted: Vec<String>,
    /// Their jobs were asked to be cancelled.
    cancelled: Vec<String>,
}

impl<E: Executor> QueueState<E> {
    /// Renews every held entry's lease each third of the visibility timeout, until every
    /// outcome has been settled; announces the consumer (its heartbeat) each round.
    pub(crate) async fn renew_until_settled(&self) {
        let period = self.config.visibility / 3;
        loop {
            // The heartbeat rides on the renewals' period: one small script a round.
            self.announce().await;
            let settled = async {
                self.settled.cancelled().await;
                true
            };
            let waited = async {
                self.executor.sleep(period).await;
                false
            };
            if future::or(settled, waited).await {
                return;
            }
            let mut renewed = Renewed::default();
            {
                // From the copy to the last reply: a settlement waits, so that this round
                // cannot renew an entry after it was given back.
                let _round = self.settling.read().await;
                let entries = self.holdings.entries();
                for chunk in entries.chunks(RENEW_CHUNK) {
                    let chunk = self.renew(chunk).await;
                    renewed.lost.extend(chunk.lost);
                    renewed.deleted.extend(chunk.deleted);
                    renewed.cancelled.extend(chunk.cancelled);
                }
            }
            // The slots running jobs hold under their kinds' concurrency limits.
            for (admission, slots) in self.holdings.slots() {
                admission.renew(&slots).await;
            }
            // Jobs cancelled by their key: their runs see it, and end as they choose.
            let fired = self.holdings.cancel_entries(&renewed.cancelled);
            if fired > 0 {
                tracing::info!(queue = %self.queue.name(), jobs = fired, "cancelling held jobs, as asked");
            }
            if !renewed.lost.is_empty() || !renewed.deleted.is_empty() {
                self.forget(&renewed.lost, &renewed.deleted).await;
            }
        }
    }

    /// Renews the leases of `entries` (stream id, job key).
    async fn renew(&self, entries: &[(String, Uuid)]) -> Renewed {
        let renewed: Option<(Vec<String>, Vec<String>, Vec<String>)> = self
            .with_retries(|mut connection| {
                let mut invocation = scripts::RENEW.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .key(self.queue.cancels_key())
                    .arg(GROUP)
                    .arg(&self.name);
                for (id, job_key) in entries {
                    invocation.arg(id).arg(job_key.to_string());
                }
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await;
        let Some((lost, deleted, cancelled)) = renewed else {
            return Renewed::default();
        };
        Counters::add(
            &self.counters.lease_renewals,
            entries.len().saturating_sub(lost.len() + deleted.len()) as u64,
        );
        Renewed {
            lost,
            deleted,
            cancelled,
        }
    }

    /// Stops holding the entries a rival reclaimed after this consumer's lease lapsed (a
    /// pause longer than the visibility timeout), counted as lost, and those deleted from
    /// the stream: never settled here, and those not started yet never start (counting a
    /// start checks the holder).
    async fn forget(&self, lost: &[String], deleted: &[String]) {
        // Under the write side: what is still held now was not settled meanwhile.
        let _alone = self.settling.write().await;
        let gone = self.holdings.remove_entries(lost);
        let removed = self.holdings.remove_entries(deleted);
        Counters::add(&self.counters.deleted_while_pending, removed);
        if gone > 0 {
            Counters::add(&self.counters.leases_lost, gone);
            tracing::warn!(queue = %self.queue.name(), lost = gone, "leases lost: another consumer reclaimed entries held here");
        }
    }
}
