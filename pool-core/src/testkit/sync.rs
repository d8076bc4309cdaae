//! Runtime-free synchronisation for the cases: they wait for events, never for time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use event_listener::Event;

use crate::CancellationToken;

/// Resolves once `condition` holds, checking it again each time the runtime comes back:
/// for states the pool shows only through its stats.
pub async fn eventually(condition: impl Fn() -> bool) {
    while !condition() {
        futures_lite::future::yield_now().await;
    }
}

/// A door that opens once and stays open.
#[derive(Clone, Debug, Default)]
pub struct Gate(CancellationToken);

impl Gate {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn open(&self) {
        self.0.cancel();
    }

    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    pub fn is_open(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Counts down to zero; `wait` resolves at zero.
#[derive(Debug)]
pub struct Latch {
    left: AtomicUsize,
    zero: Event,
}

impl Latch {
    pub fn new(count: usize) -> Self {
        Self {
            left: AtomicUsize::new(count),
            zero: Event::new(),
        }
    }

    /// Counts one down; at zero it stays at zero.
    pub fn count_down(&self) {
        let left = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(1)
            });
        if left == Ok(1) {
            self.zero.notify(usize::MAX);
        }
    }

    pub async fn wait(&self) {
        loop {
            if self.left.load(Ordering::Acquire) == 0 {
                return;
            }
            let listener = self.zero.listen();
            if self.left.load(Ordering::Acquire) == 0 {
                return;
            }
            listener.await;
        }
    }
}

/// How many jobs are inside at once, and the most there ever were.
#[derive(Debug, Default)]
pub struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

/// One job inside a [`Gauge`]; leaves on drop.
#[derive(Debug)]
pub struct Inside<'a>(&'a Gauge);

impl Gauge {
    pub fn enter(&self) -> Inside<'_> {
        let now = self.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.max.fetch_max(now, Ordering::AcqRel);
        Inside(self)
    }

    pub fn max(&self) -> usize {
        self.max.load(Ordering::Acquire)
    }

    pub fn now(&self) -> usize {
        self.now.load(Ordering::Acquire)
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A door for threads: `wait` blocks the calling thread until `open`.
#[derive(Clone, Debug, Default)]
pub struct ThreadGate(Arc<(Mutex<bool>, Condvar)>);

impl ThreadGate {
    pub fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    pub fn wait(&self) {
        let mut open = self.0.0.lock().unwrap();
        while !*open {
            open = self.0.1.wait(open).unwrap();
        }
    }
}
