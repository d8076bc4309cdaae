//! Room for held entries: a queue's reader takes a slot per entry before it reads, and the
//! entry's settlement gives it back, so a consumer never holds (and leases) more than it can
//! run soon.
//!
//! A consumer of several queues shares its room among them: each slot that comes free is
//! granted to one queue's reader, by weight (smooth weighted round robin) or strictly by
//! priority. A queue whose last read found it empty asks for one slot only (enough for a
//! blocking read that sees the next job arrive), and a queue with a backlog is granted slots
//! even while its reader is away reading, so that the shares follow the weights, not the
//! round trips.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_lock::Semaphore;
use futures_lite::future;
use pool_core::CancellationToken;

use crate::consume::queues::Order;

/// The room of one consumer, shared by the readers of its queues.
pub(crate) struct Slots {
    table: Mutex<Table>,
    /// Each queue's granted slots, for its reader to take: permits outlive any scope, so
    /// each is forgotten when taken.
    granted: Vec<Semaphore>,
    order: Order,
}

#[derive(Debug)]
struct Table {
    free: usize,
    /// Slots taken and not given back: a give never returns more than were taken, so a slot
    /// given back twice cannot raise the bound.
    taken: usize,
    queues: Vec<Demand>,
}

/// What one queue's reader wants, and has been granted.
#[derive(Debug)]
struct Demand {
    weight: i64,
    /// The smooth weighted round robin's running score.
    score: i64,
    /// Slots its waiting reader asks for; 0 while the reader is not waiting.
    wanted: usize,
    /// Its last read found nothing more waiting.
    empty: bool,
    /// Granted, not yet taken (the permits in its semaphore).
    granted: usize,
}

impl Demand {
    /// Whether a free slot may go to this queue: it has a backlog (as far as its last read
    /// knows), or its reader waits for less than it asked.
    fn eligible(&self) -> bool {
        !self.empty || self.granted < self.wanted
    }
}

impl Slots {
    /// `slots` of room, shared by queues of these weights (strict order: by place).
    pub(crate) fn new(slots: usize, weights: &[u32], order: Order) -> Self {
        let queues = weights
            .iter()
            .map(|&weight| Demand {
                weight: i64::from(weight),
                score: 0,
                wanted: 0,
                empty: false,
                granted: 0,
            })
            .collect::<Vec<_>>();
        Self {
            granted: queues.iter().map(|_| Semaphore::new(0)).collect(),
            table: Mutex::new(Table {
                free: slots,
                taken: 0,
                queues,
            }),
            order,
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue `queue`'s reader waits for a slot (or for `stop`), then takes up to `wanted`
    /// (at least 1) of those granted to it: how many, or `None` if stopped first.
    pub(crate) async fn take(
        &self,
        queue: usize,
        wanted: usize,
        stop: &CancellationToken,
    ) -> Option<usize> {
        let wanted = {
            let mut table = self.table();
            let several = table.queues.len() > 1;
            let demand = &mut table.queues[queue];
            // An empty queue's read blocks: one slot sees the next job arrive, and the rest
            // serve the other queues meanwhile.
            demand.wanted = if several && demand.empty {
                1
            } else {
                wanted.max(1)
            };
            let wanted = demand.wanted;
            self.distribute(&mut table);
            wanted
        };
        let first = async {
            self.granted[queue].acquire().await.forget();
            Some(())
        };
        let stopped = async {
            stop.cancelled().await;
            None
        };
        let woken = future::or(stopped, first).await;
        let mut table = self.table();
        table.queues[queue].wanted = 0;
        woken?;
        let mut took = 1;
        while took < wanted {
            let Some(slot) = self.granted[queue].try_acquire() else {
                break;
            };
            slot.forget();
            took += 1;
        }
        table.queues[queue].granted -= took;
        table.taken += took;
        Some(took)
    }

    /// Notes what queue `queue`'s last read found: nothing more waiting (`empty`), or a full
    /// read. An empty queue's granted slots go to the others.
    pub(crate) fn found(&self, queue: usize, empty: bool) {
        let mut table = self.table();
        let several = table.queues.len() > 1;
        table.queues[queue].empty = empty;
        if empty && several {
            let mut returned = 0;
            while let Some(slot) = self.granted[queue].try_acquire() {
                slot.forget();
                returned += 1;
            }
            table.queues[queue].granted -= returned;
            table.free += returned;
        }
        self.distribute(&mut table);
    }

    /// Gives `n` slots back (no more than are taken).
    pub(crate) fn give(&self, n: usize) {
        let mut table = self.table();
        let given = n.min(table.taken);
        table.taken -= given;
        table.free += given;
        self.distribute(&mut table);
    }

    /// Grants every free slot to a queue that may have it, in the consumer's order: one by
    /// one, then each queue's in one go (a wake-up per queue, not per slot).
    fn distribute(&self, table: &mut Table) {
        if let [only] = table.queues.as_mut_slice() {
            if only.eligible() && table.free > 0 {
                only.granted += table.free;
                self.granted[0].add_permits(std::mem::take(&mut table.free));
            }
            return;
        }
        let before: Vec<usize> = table.queues.iter().map(|demand| demand.granted).collect();
        while table.free > 0 {
            let Some(queue) = self.next_queue(&mut table.queues) else {
                break;
            };
            table.free -= 1;
            table.queues[queue].granted += 1;
        }
        for ((semaphore, demand), before) in self.granted.iter().zip(&table.queues).zip(before) {
            if demand.granted > before {
                semaphore.add_permits(demand.granted - before);
            }
        }
    }

    /// The queue the next free slot goes to, if any may have it.
    fn next_queue(&self, queues: &mut [Demand]) -> Option<usize> {
        match self.order {
            Order::Strict => queues.iter().position(Demand::eligible),
            Order::Weighted => {
                // Smooth weighted round robin (nginx's): every eligible queue gains its
                // weight, the highest score wins and pays the total back, so the choices
                // interleave (6, 3, 1 gives A B A C A B A ...) rather than come in runs.
                let mut total = 0;
                let mut best: Option<(usize, i64)> = None;
                for (index, demand) in queues.iter_mut().enumerate() {
                    if !demand.eligible() {
                        continue;
                    }
                    demand.score += demand.weight;
                    total += demand.weight;
                    if best.is_none_or(|(_, score)| demand.score > score) {
                        best = Some((index, demand.score));
                    }
                }
                let (best, _) = best?;
                queues[best].score -= total;
                Some(best)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;
    use pool_core::CancellationToken;

    use super::*;

    fn one_queue(slots: usize) -> Slots {
        Slots::new(slots, &[1], Order::Weighted)
    }

    #[test]
    fn slots_bound_what_is_held_and_a_double_give_cannot_raise_the_bound() {
        let slots = one_queue(3);
        let stop = CancellationToken::new();
        assert_eq!(block_on(slots.take(0, 2, &stop)), Some(2));
        assert_eq!(block_on(slots.take(0, 5, &stop)), Some(1), "only the third");
        slots.give(1);
        slots.give(10); // more than taken: only the two still taken come back
        assert_eq!(
            block_on(slots.take(0, 5, &stop)),
            Some(3),
            "the bound is three"
        );
        stop.cancel();
        assert_eq!(
            block_on(slots.take(0, 1, &stop)),
            None,
            "stopped while none is free"
        );
    }

    /// Takes the one slot in circulation from whichever queue it was granted to and gives it
    /// back, `rounds` times: how often each queue had it.
    fn shares(slots: &Slots, rounds: usize) -> Vec<usize> {
        let queues = slots.granted.len();
        let mut counts = vec![0; queues];
        for _ in 0..rounds {
            let granted = (0..queues)
                .find(|&queue| {
                    slots.granted[queue]
                        .try_acquire()
                        .map(|slot| slot.forget())
                        .is_some()
                })
                .expect("the slot is granted to some queue");
            {
                let mut table = slots.table();
                table.queues[granted].granted -= 1;
                table.taken += 1;
            }
            counts[granted] += 1;
            slots.give(1);
        }
        counts
    }

    #[test]
    fn weighted_queues_with_backlogs_share_by_weight() {
        let slots = Slots::new(1, &[6, 3, 1], Order::Weighted);
        slots.found(0, false);
        assert_eq!(shares(&slots, 1000), [600, 300, 100]);
    }

    #[test]
    fn an_empty_queue_asks_for_one_slot_and_gives_its_share_to_the_others() {
        let slots = Slots::new(2, &[6, 3, 1], Order::Weighted);
        let stop = CancellationToken::new();
        slots.found(0, true);
        assert_eq!(
            block_on(slots.take(1, 100, &stop)),
            Some(2),
            "not to the empty"
        );
        // The empty queue's reader waits; a slot comes back.
        let (took, ()) = block_on(future::zip(slots.take(0, 100, &stop), async {
            slots.give(1)
        }));
        assert_eq!(took, Some(1), "one slot, to block on");
        slots.give(1);
        let counts = shares(&slots, 800);
        assert_eq!(counts[0], 0);
        assert!(
            counts[1].abs_diff(600) <= 1 && counts[2].abs_diff(200) <= 1,
            "{counts:?}"
        );
    }

    #[test]
    fn strict_order_serves_a_lower_queue_only_while_the_higher_are_empty() {
        let slots = Slots::new(1, &[1, 1], Order::Strict);
        slots.found(0, false);
        assert_eq!(shares(&slots, 50), [50, 0]);
        slots.found(0, true);
        assert_eq!(shares(&slots, 20), [0, 20], "the first is empty");
        slots.found(0, false);
        assert_eq!(shares(&slots, 20), [19, 1], "back to the first");
    }
}
