//! Keeping the lease of every held entry: Redis starts an entry's idle clock when it is
//! delivered, so an entry queued locally behind long jobs would look abandoned unless its
//! holder says otherwise.

use futures_lite::future;
use pool_core::Executor;

use crate::connection::Link;
use crate::consumer::Shared;
use crate::queue::GROUP;
use crate::scripts;
use crate::stats::Counters;

/// Entries renewed per script call.
const RENEW_CHUNK: usize = 512;

impl<E: Executor> Shared<E> {
    /// Renews every held entry's lease each third of the visibility timeout, until every
    /// outcome has been settled.
    pub(crate) async fn renew_until_settled(&self) {
        let mut commands = Link::commands(&self.client);
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
            // From the copy to the last reply: a settlement that gives an entry back waits,
            // so that this round cannot renew it after it was given back.
            let _round = self.renewing.read().await;
            let ids: Vec<String> = self.held().values().map(|job| job.id.clone()).collect();
            for chunk in ids.chunks(RENEW_CHUNK) {
                self.renew(&mut commands, chunk).await;
            }
        }
    }

    async fn renew(&self, commands: &mut Link, ids: &[String]) {
        let lost: Option<Vec<String>> = self
            .with_retries(commands, |mut connection| {
                let mut invocation = scripts::RENEW.prepare_invoke();
                invocation
                    .key(self.queue.jobs_key())
                    .arg(GROUP)
                    .arg(&self.name);
                for id in ids {
                    invocation.arg(id);
                }
                async move {
                    invocation
                        .invoke_async::<Vec<String>>(&mut connection)
                        .await
                }
            })
            .await;
        let Some(lost) = lost else { return };
        Counters::add(
            &self.counters.lease_renewals,
            (ids.len() - lost.len()) as u64,
        );
        if !lost.is_empty() {
            // Already settled meanwhile, or reclaimed by a rival after this consumer's lease
            // lapsed (a pause longer than the visibility timeout): the rival runs it too.
            let still_held = {
                let held = self.held();
                lost.iter()
                    .filter(|id| held.values().any(|job| &&job.id == id))
                    .count()
            };
            if still_held > 0 {
                tracing::warn!(queue = %self.queue.name(), lost = still_held, "leases lost: another consumer reclaimed entries held here");
            }
        }
    }
}
