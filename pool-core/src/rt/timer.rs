//! A sleep that needs no runtime: for the shutdown deadlines, which must fire even when jobs
//! block every thread of the runtime (tokio's timers, for one, are driven by its worker
//! threads, and stop with them).
//!
//! One thread serves every deadline of the process, as `futures-timer`'s global timer does:
//! deadlines wait in an ordered map, and the thread sleeps until the earliest.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::sync::lock::lock;

/// Resolves after `duration`, timed by the process's timer thread. If that thread cannot be
/// started, it falls back to `fallback` (the runtime's own timer).
pub(crate) async fn sleep_on_a_thread(duration: Duration, fallback: impl Future<Output = ()>) {
    match Deadline::after(duration) {
        Some(deadline) => deadline.await,
        None => {
            tracing::warn!("no thread for a shutdown deadline: using the runtime's timer");
            fallback.await;
        }
    }
}

/// A future that resolves at an instant, woken by the timer thread.
#[derive(Debug)]
pub(crate) struct Deadline {
    at: Instant,
    /// Tells apart deadlines at the same instant.
    id: u64,
    /// Whether a waker of this deadline waits in the timer's map.
    waiting: bool,
}

impl Deadline {
    /// A deadline `duration` from now, or `None` if the timer thread cannot run.
    pub(crate) fn after(duration: Duration) -> Option<Self> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Timer::get()?;
        Some(Self {
            at: Instant::now() + duration,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            waiting: false,
        })
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = Timer::get().expect("a deadline exists only with its timer");
        let key = (self.at, self.id);
        let mut waiting = lock(&timer.waiting);
        if Instant::now() >= self.at {
            waiting.remove(&key);
            self.waiting = false;
            return Poll::Ready(());
        }
        let earliest = waiting
            .first_key_value()
            .is_none_or(|(first, _)| key < *first);
        waiting.insert(key, cx.waker().clone());
        self.waiting = true;
        drop(waiting);
        if earliest {
            timer.changed.notify_one();
        }
        Poll::Pending
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if self.waiting
            && let Some(timer) = Timer::get()
        {
            lock(&timer.waiting).remove(&(self.at, self.id));
        }
    }
}

/// The process's one timer: the deadlines that wait, and the thread that wakes them.
struct Timer {
    waiting: Mutex<BTreeMap<(Instant, u64), Waker>>,
    /// Signalled when a deadline earlier than all others comes in.
    changed: Condvar,
}

impl Timer {
    /// The timer, its thread started on first use; `None` if no thread could be started.
    fn get() -> Option<&'static Self> {
        static TIMER: OnceLock<Option<&'static Timer>> = OnceLock::new();
        *TIMER.get_or_init(|| {
            let timer: &'static Self = Box::leak(Box::new(Self {
                waiting: Mutex::new(BTreeMap::new()),
                changed: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("pool-timer".to_owned())
                .spawn(move || timer.run())
                .ok()
                .map(|_| timer)
        })
    }

    /// Wakes each deadline when its instant comes; sleeps until the earliest otherwise.
    fn run(&self) {
        let mut waiting = lock(&self.waiting);
        loop {
            let now = Instant::now();
            let Some(&(at, _)) = waiting.keys().next() else {
                waiting = self
                    .changed
                    .wait(waiting)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            };
            if at > now {
                waiting = self
                    .changed
                    .wait_timeout(waiting, at - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                continue;
            }
            let later = waiting.split_off(&(now, u64::MAX));
            let due = std::mem::replace(&mut *waiting, later);
            drop(waiting);
            for waker in due.into_values() {
                waker.wake();
            }
            waiting = lock(&self.waiting);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use futures_lite::future::block_on;

    use super::{Deadline, Timer, lock};

    #[test]
    fn deadlines_in_any_order_each_fire_no_earlier_than_asked() {
        let waits: Vec<u64> = vec![30, 5, 20, 1, 25, 10, 15, 0];
        let threads: Vec<_> = waits
            .into_iter()
            .map(|ms| {
                std::thread::spawn(move || {
                    let asked = Instant::now();
                    block_on(Deadline::after(Duration::from_millis(ms)).unwrap());
                    assert!(asked.elapsed() >= Duration::from_millis(ms));
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }

    #[test]
    fn a_deadline_dropped_early_leaves_nothing_behind() {
        let mut deadline = Deadline::after(Duration::from_secs(3600)).unwrap();
        let polled = block_on(futures_lite::future::poll_once(&mut deadline));
        assert!(polled.is_none());
        let key = (deadline.at, deadline.id);
        let timer = Timer::get().unwrap();
        assert!(lock(&timer.waiting).contains_key(&key));
        drop(deadline);
        assert!(!lock(&timer.waiting).contains_key(&key));
    }
}
