//! Counting live workers, and waiting for the count to reach zero, without a runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_listener::Event;

/// How many workers are alive; shutdowns wait for it to reach zero.
#[derive(Debug, Default)]
pub(crate) struct WaitGroup {
    count: AtomicUsize,
    zero: Event,
}

/// One live worker. Made before the worker is spawned and moved into its future, so the count
/// goes down however the future ends: it returns, it is aborted, or a failed spawn drops it.
#[derive(Debug)]
pub(crate) struct Alive(Arc<WaitGroup>);

impl WaitGroup {
    pub(crate) fn enter(self: &Arc<Self>) -> Alive {
        self.count.fetch_add(1, Ordering::AcqRel);
        Alive(Arc::clone(self))
    }

    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Resolves when no worker is alive.
    pub(crate) async fn wait(&self) {
        loop {
            if self.count() == 0 {
                return;
            }
            let listener = self.zero.listen();
            if self.count() == 0 {
                return;
            }
            listener.await;
        }
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.zero.notify(usize::MAX);
        }
    }
}
