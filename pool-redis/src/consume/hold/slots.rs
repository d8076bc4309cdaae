//! Room for held entries: a reader takes a slot per entry before it reads, and the entry's
//! settlement gives it back, so a consumer never holds (and leases) more than it can run soon.
//!
//! A semaphore whose permits outlive any scope: taken by a read, given back entry by entry as
//! settlements land, so each permit is forgotten when taken and added back when given.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_lock::Semaphore;
use futures_lite::future;
use pool_core::CancellationToken;

pub(crate) struct Slots {
    free: Semaphore,
    /// Slots taken and not yet given back: a give never returns more than were taken, so a
    /// slot given back twice cannot raise the bound.
    taken: AtomicUsize,
}

impl Slots {
    pub(crate) fn new(slots: usize) -> Self {
        Self {
            free: Semaphore::new(slots),
            taken: AtomicUsize::new(0),
        }
    }

    /// Waits for one slot (or for `stop`), then takes up to `wanted - 1` more that are free
    /// now: how many were taken, or `None` if stopped first.
    pub(crate) async fn take(&self, wanted: usize, stop: &CancellationToken) -> Option<usize> {
        let first = async {
            self.free.acquire().await.forget();
            self.taken.fetch_add(1, Ordering::AcqRel);
            Some(())
        };
        let stopped = async {
            stop.cancelled().await;
            None
        };
        future::or(stopped, first).await?;
        Some(1 + self.try_take(wanted.saturating_sub(1)))
    }

    /// Takes up to `wanted` slots that are free now; how many were taken.
    pub(crate) fn try_take(&self, wanted: usize) -> usize {
        let mut taken = 0;
        while taken < wanted {
            let Some(slot) = self.free.try_acquire() else {
                break;
            };
            slot.forget();
            taken += 1;
        }
        self.taken.fetch_add(taken, Ordering::AcqRel);
        taken
    }

    /// Gives `n` slots back (no more than are taken).
    pub(crate) fn give(&self, n: usize) {
        let given = self
            .taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                Some(taken - n.min(taken))
            })
            .map_or(0, |taken| n.min(taken));
        self.free.add_permits(given);
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;
    use pool_core::CancellationToken;

    use super::Slots;

    #[test]
    fn slots_bound_what_is_held_and_a_double_give_cannot_raise_the_bound() {
        let slots = Slots::new(3);
        let stop = CancellationToken::new();
        assert_eq!(block_on(slots.take(2, &stop)), Some(2));
        assert_eq!(slots.try_take(5), 1, "only the third is free");
        slots.give(1);
        slots.give(10); // more than taken: only the two still taken come back
        assert_eq!(slots.try_take(5), 3, "the bound is still three");
        stop.cancel();
        assert_eq!(
            block_on(slots.take(1, &stop)),
            None,
            "stopped while none is free"
        );
    }
}
