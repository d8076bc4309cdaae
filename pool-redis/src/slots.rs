//! Room for held entries: a reader takes a slot per entry before it reads, and the entry's
//! settlement gives it back, so a consumer never holds (and leases) more than it can run soon.

use async_channel::{Receiver, Sender};
use futures_lite::future;
use pool_core::CancellationToken;

/// The slots: a bounded channel of `()`, one message per slot taken, since a reader takes
/// "as many as are free, at least one" (which `async_lock::Semaphore` cannot say in one call).
pub(crate) struct Slots {
    take: Sender<()>,
    give: Receiver<()>,
}

impl Slots {
    pub(crate) fn new(slots: usize) -> Self {
        let (take, give) = async_channel::bounded(slots);
        Self { take, give }
    }

    /// Takes up to `wanted` slots, waiting for the first; `None` if `stop` fires first.
    pub(crate) async fn take(&self, wanted: usize, stop: &CancellationToken) -> Option<usize> {
        let first = async { self.take.send(()).await.ok() };
        let stopped = async {
            stop.cancelled().await;
            None
        };
        future::or(stopped, first).await?;
        Some(1 + self.try_take(wanted.saturating_sub(1)))
    }

    /// Takes up to `wanted` slots that are free now; returns how many.
    pub(crate) fn try_take(&self, wanted: usize) -> usize {
        let mut taken = 0;
        while taken < wanted && self.take.try_send(()).is_ok() {
            taken += 1;
        }
        taken
    }

    /// Gives `n` slots back.
    pub(crate) fn give(&self, n: usize) {
        for _ in 0..n {
            let _ = self.give.try_recv();
        }
    }
}
