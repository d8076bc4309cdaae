//! The accepted count of a pool without `max_jobs`, kept per producer thread: a producer bumps
//! a counter only it writes (a plain load and store), and a reader sums them.
//!
//! Why not one shared counter: a locked increment right after the send is a full fence on
//! x86, so the producer waits there until its write of the queue slot reaches the cache line a
//! worker is reading. That one increment cost the pool between a sixth and a half of its
//! throughput (`benches/results/2026-12-03-local-speed.md`). A pool with `max_jobs` keeps the
//! shared counter: its last accepted job closes the intake, which a sum cannot tell.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use crate::sync::lock::lock;

/// Every producer thread's count of jobs accepted by one pool.
#[derive(Debug, Default)]
pub(crate) struct AcceptedCounts {
    /// One counter per thread that ever submitted, with its thread: summed by readers, and
    /// found again by a thread whose cache let it go, so that each stays single-writer.
    producers: Mutex<Vec<(ThreadId, Arc<ProducerCount>)>>,
    /// For a submit from a thread whose thread-locals are gone (one made in a thread-local's
    /// destructor): shared, and rare.
    late: AtomicU64,
}

/// One producer thread's count for one pool, written by that thread alone; on its own cache
/// line, so that producers on other cores never write next to it.
#[derive(Debug, Default)]
#[repr(align(128))]
struct ProducerCount(AtomicU64);

impl ProducerCount {
    #[inline]
    fn bump(&self) {
        // One writer: no read-modify-write needed, and none of its fence.
        self.0.store(self.0.load(Relaxed) + 1, Relaxed);
    }
}

/// How many pools a thread keeps its counters at hand for; beyond, the least recently used is
/// let go (its counts stay in its pool, and a later submit finds the counter again).
const CACHED_POOLS: usize = 8;

/// A thread's counters, by pool id, the most recently used first.
type Cache = Vec<(u64, Arc<ProducerCount>)>;

thread_local! {
    static MINE: RefCell<Cache> = const { RefCell::new(Vec::new()) };
}

impl AcceptedCounts {
    /// Counts one job accepted by pool `pool_id` (this one's id) for the calling thread.
    #[inline]
    pub(crate) fn bump(&self, pool_id: u64) {
        let counted = MINE.try_with(|mine| {
            let mut mine = mine.borrow_mut();
            match mine.first() {
                Some((id, count)) if *id == pool_id => count.bump(),
                _ => self.bump_first_time(pool_id, &mut mine),
            }
        });
        if counted.is_err() {
            self.late.fetch_add(1, Relaxed);
        }
    }

    /// The first job from this thread, or the first since it last submitted to another pool.
    #[cold]
    fn bump_first_time(&self, pool_id: u64, mine: &mut Cache) {
        let count = match mine.iter().position(|(id, _)| *id == pool_id) {
            Some(at) => mine.remove(at).1,
            None => self.counter_of_this_thread(),
        };
        count.bump();
        mine.insert(0, (pool_id, count));
        mine.truncate(CACHED_POOLS);
    }

    fn counter_of_this_thread(&self) -> Arc<ProducerCount> {
        let me = thread::current().id();
        let mut producers = lock(&self.producers);
        if let Some((_, count)) = producers.iter().find(|(thread, _)| *thread == me) {
            return Arc::clone(count);
        }
        let count = Arc::<ProducerCount>::default();
        producers.push((me, Arc::clone(&count)));
        count
    }

    /// Jobs accepted so far. Each counter only grows, so the sum never goes down from one
    /// read to the next; a job counted here was in the queue before it was counted.
    pub(crate) fn sum(&self) -> u64 {
        let producers = lock(&self.producers);
        let counted: u64 = producers
            .iter()
            .map(|(_, count)| count.0.load(Relaxed))
            .sum();
        counted + self.late.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::AcceptedCounts;

    #[test]
    fn counts_from_many_threads_and_pools_add_up() {
        let (a, b) = (AcceptedCounts::default(), AcceptedCounts::default());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for round in 0..1_000_u64 {
                        a.bump(u64::MAX - 1);
                        // Alternating pools, and more pools than a thread keeps at hand: the
                        // counters let go are found again, not duplicated.
                        if round % 3 == 0 {
                            b.bump(u64::MAX - 2);
                        }
                        for other in 0..super::CACHED_POOLS as u64 {
                            if round % 100 == 0 {
                                AcceptedCounts::default().bump(other);
                            }
                        }
                    }
                });
            }
        });
        assert_eq!(a.sum(), 4_000);
        assert_eq!(b.sum(), 4 * 334);
        assert_eq!(
            a.producers.lock().unwrap().len(),
            4,
            "one counter per thread"
        );
    }
}
