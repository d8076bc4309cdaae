//! Keeping the lease of every held entry: Redis starts an entry's idle clock when it is
//! delivered, so an entry queued locally behind long jobs would look abandoned unless its
//! holder says otherwise.

use futures_lite::future;
use pool_core::Executor;

use crate::consume::state::ConsumerState;
use crate::consume::stats::Counters;
use crate::store::queue::GROUP;
use crate::store::scripts;

/// Entries renewed per script call.
const RENEW_CHUNK: usize = 512;

impl<E: Executor> ConsumerState<E> {
    /// Renews every held entry's lease each third of the visibility timeout, until every
    /// outcome has been settled.
    pub(crate) async fn renew_until_settled(&self) {
        let period = self.config.visibility / 3;
        loop {
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
            let (mut lost, mut deleted) = (Vec::new(), Vec::new());
            {
                // From the copy to the last reply: a settlement waits, so that this round
                // cannot renew an entry after it was given back.
                let _round = self.settling.read().await;
                let ids: Vec<String> = self.holdings.entry_ids().into_iter().collect();
                for chunk in ids.chunks(RENEW_CHUNK) {
                    let (chunk_lost, chunk_deleted) = self.renew(chunk).await;
                    lost.extend(chunk_lost);
                    deleted.extend(chunk_deleted);
                }
            }
            if !lost.is_empty() || !deleted.is_empty() {
                self.forget(&lost, &deleted).await;
            }
        }
    }

    /// Renews the leases of `ids`; returns those no longer held, and those deleted.
    async fn renew(&self, ids: &[String]) -> (Vec<String>, Vec<String>) {
        let renewed: Option<(Vec<String>, Vec<String>)> = self
            .with_retries(|mut connection| {
                let mut invocation = scripts::RENEW.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .arg(GROUP)
                    .arg(&self.name);
                for id in ids {
                    invocation.arg(id);
                }
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await;
        let Some((lost, deleted)) = renewed else {
            return (Vec::new(), Vec::new());
        };
        Counters::add(
            &self.counters.lease_renewals,
            ids.len().saturating_sub(lost.len() + deleted.len()) as u64,
        );
        (lost, deleted)
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
