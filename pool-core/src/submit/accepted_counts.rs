//! The accepted count of a pool without `max_jobs`, kept per producer thread: a producer bumps
//! a counter only it writes (a plain load and store), and a reader sums them.
//!
//! Why not one shared counter: measured on the 2-core Xeon host, the shared locked increment
//! per job held the pool at 0.52 to 1.01 of the throughput it has with these counters
//! (`benches/results/2026-12-03-local-speed.md`). A pool with `max_jobs` keeps the shared
//! counter: its last accepted job closes the intake, which a sum cannot tell.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use crate::sync::lock::lock;

/// Every producer thread's count of jobs accepted by one pool.
#[derive(Debug, Default)]
pub(crate) struct AcceptedCounts {
    producers: Mutex<Producers>,
    /// For a submit from a thread whose thread-locals are gone (one made in a thread-local's
    /// destructor): shared, and rare.
    late: AtomicU64,
}

#[derive(Debug, Default)]
struct Producers {
    /// One counter per thread that holds it in its cache, with its thread: summed by readers,
    /// and found again by its thread if its cache let it go, so that each stays single-writer.
    live: Vec<(ThreadId, Arc<ProducerCount>)>,
    /// The counts of counters no thread holds any more (their thread ended, or let them go):
    /// folded in, so that a service whose producer threads come and go (a blocking pool's)
    /// keeps one counter per live thread, not one per thread it ever had.
    retired: u64,
}

impl Producers {
    /// Folds each counter that only this list holds into `retired`. `Arc::get_mut` sees the
    /// last writer's drop of its handle (an acquire), and with it the count's last store.
    fn retire_orphans(&mut self) {
        let retired = &mut self.retired;
        self.live
            .retain_mut(|(_, count)| match Arc::get_mut(count) {
                Some(orphan) => {
                    *retired += *orphan.0.get_mut();
                    false
                }
                None => true,
            });
    }
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
        producers.retire_orphans();
        if let Some((_, count)) = producers.live.iter().find(|(thread, _)| *thread == me) {
            return Arc::clone(count);
        }
        let count = Arc::<ProducerCount>::default();
        producers.live.push((me, Arc::clone(&count)));
        count
    }

    /// Jobs accepted so far. Each counter only grows, so the sum never goes down from one
    /// read to the next; a job counted here was in the queue before it was counted.
    pub(crate) fn sum(&self) -> u64 {
        let mut producers = lock(&self.producers);
        producers.retire_orphans();
        let live: u64 = producers
            .live
            .iter()
            .map(|(_, count)| count.0.load(Relaxed))
            .sum();
        producers.retired + live + self.late.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;

    use super::{AcceptedCounts, CACHED_POOLS};

    /// Runs `producer` on `threads` threads and joins them: a join returns once each thread
    /// has ended, its thread-locals dropped (a scope's end does not wait for those).
    fn on_threads(threads: usize, producer: impl Fn() + Send + Sync + 'static) {
        let producer = Arc::new(producer);
        let spawned: Vec<_> = (0..threads)
            .map(|_| {
                let producer = Arc::clone(&producer);
                thread::spawn(move || producer())
            })
            .collect();
        for thread in spawned {
            thread.join().expect("a producer thread");
        }
    }

    #[test]
    fn counts_from_many_threads_and_pools_add_up() {
        let (a, b) = (
            Arc::new(AcceptedCounts::default()),
            Arc::new(AcceptedCounts::default()),
        );
        let others: Arc<Vec<AcceptedCounts>> = Arc::new(
            (0..CACHED_POOLS)
                .map(|_| AcceptedCounts::default())
                .collect(),
        );
        let (a2, b2, others2) = (Arc::clone(&a), Arc::clone(&b), Arc::clone(&others));
        on_threads(4, move || {
            for round in 0..1_000_u64 {
                a2.bump(u64::MAX - 1);
                if round % 3 == 0 {
                    b2.bump(u64::MAX - 2);
                }
                // More pools than a thread keeps at hand: the counters let go are found
                // again, not duplicated.
                if round % 100 == 0 {
                    for (id, other) in (u64::MAX - 20..).zip(others2.iter()) {
                        other.bump(id);
                    }
                }
            }
        });
        assert_eq!(a.sum(), 4_000);
        assert_eq!(b.sum(), 4 * 334);
        assert!(others.iter().all(|other| other.sum() == 4 * 10));
        // The threads are gone: their counters are folded in, their counts kept.
        assert!(a.producers.lock().unwrap().live.is_empty());
        assert_eq!(a.sum(), 4_000);
    }

    #[test]
    fn producers_that_come_and_go_leave_no_counter_behind() {
        let counts = Arc::new(AcceptedCounts::default());
        for _ in 0..50 {
            let counts = Arc::clone(&counts);
            on_threads(1, move || counts.bump(u64::MAX - 3));
        }
        assert_eq!(counts.sum(), 50);
        assert!(counts.producers.lock().unwrap().live.is_empty());
        // A live producer keeps its counter, and the sum still grows one by one.
        counts.bump(u64::MAX - 3);
        assert_eq!(counts.sum(), 51);
        assert_eq!(counts.producers.lock().unwrap().live.len(), 1);
    }
}
