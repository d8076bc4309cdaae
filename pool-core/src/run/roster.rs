//! Which worker seats are wanted now, which are taken, and how idle workers learn that they
//! should leave: the state behind `resize` and an elastic pool's growth and retirement.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::Poll;
use std::time::Duration;

use atomic_waker::AtomicWaker;

use crate::sync::atomic::{AtomicBool, AtomicUsize, fence};

/// The pool's seats: one per worker it may ever have (`max_workers`), fixed at build, so that
/// per-worker state (counters, timings, resources) is sized once and nothing on a job's path
/// grows or locks.
///
/// Seat `i` is *wanted* while `i < size`; at most `size` seats are *taken* by live workers at
/// a time after a shrink has taken effect. A seat is taken by compare-and-swap, so no two
/// workers ever hold one (its counters have a single writer). A worker gives its seat up
/// once, when it leaves; if the seat is wanted again, the pool spawns a new worker for it.
#[derive(Debug)]
pub(crate) struct Roster {
    /// Read by every worker before each job: alone on its cache line, written only by a
    /// resize.
    size: Size,
    min: usize,
    /// `Some` for an elastic pool: its workers above `min` leave after this long idle.
    idle_timeout: Option<Duration>,
    /// Workers waiting for a job, counted only in an elastic pool: growth asks for it.
    idle: AtomicUsize,
    /// Seats taken, wanted or not (a retiring worker keeps its seat until it leaves).
    taken: AtomicUsize,
    seats: Box<[Seat]>,
}

#[derive(Debug)]
#[repr(align(128))]
struct Size(AtomicUsize);

#[derive(Debug, Default)]
struct Seat {
    taken: AtomicBool,
    /// The seat's idle worker, woken when its seat stops being wanted.
    unwanted: AtomicWaker,
}

impl Roster {
    pub(crate) fn new(size: usize, min: usize, max: usize, idle_timeout: Option<Duration>) -> Self {
        Self {
            size: Size(AtomicUsize::new(size)),
            min,
            idle_timeout,
            idle: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
            seats: (0..max).map(|_| Seat::default()).collect(),
        }
    }

    #[inline]
    pub(crate) fn size(&self) -> usize {
        self.size.0.load(SeqCst)
    }

    /// The fewest workers an elastic pool keeps: never more than its size.
    pub(crate) fn min(&self) -> usize {
        self.min_of(self.size())
    }

    /// The minimum, for a pool of `size`.
    pub(crate) fn min_of(&self, size: usize) -> usize {
        self.min.min(size)
    }

    pub(crate) fn max(&self) -> usize {
        self.seats.len()
    }

    #[inline]
    pub(crate) fn is_elastic(&self) -> bool {
        self.idle_timeout.is_some()
    }

    /// How long a worker of `seat` may wait idle before it leaves, if it may.
    pub(crate) fn idle_timeout_of(&self, seat: usize) -> Option<Duration> {
        self.idle_timeout.filter(|_| seat >= self.min())
    }

    /// Whether `seat` may take jobs. On every job: a plain load (the line is rarely written).
    #[inline]
    pub(crate) fn is_wanted(&self, seat: usize) -> bool {
        seat < self.size.0.load(Relaxed)
    }

    /// How many seats a starting or resized pool fills at once: all of them, or an elastic
    /// pool's minimum (it grows when jobs wait).
    pub(crate) fn filled_at_once(&self) -> usize {
        if self.is_elastic() {
            self.min()
        } else {
            self.size()
        }
    }

    /// Sets the size, and wakes the idle workers of seats no longer wanted so that they leave.
    pub(crate) fn set_size(&self, size: usize) {
        self.size.0.store(size, SeqCst);
        for seat in &self.seats[size..] {
            seat.unwanted.wake();
        }
    }

    /// Takes `seat` for a new worker; false if a worker has it.
    pub(crate) fn take(&self, seat: usize) -> bool {
        let taken = self.seats[seat]
            .taken
            .compare_exchange(false, true, SeqCst, SeqCst)
            .is_ok();
        if taken {
            self.taken.fetch_add(1, SeqCst);
        }
        taken
    }

    /// Takes the first free wanted seat, for a worker that growth adds.
    pub(crate) fn take_free(&self) -> Option<usize> {
        (0..self.size()).find(|&seat| self.take(seat))
    }

    /// Gives `seat` up: its worker is leaving, and never takes a seat again (a seat wanted
    /// again gets a new worker, whose task handle the pool keeps).
    pub(crate) fn leave(&self, seat: usize) {
        self.seats[seat].taken.store(false, SeqCst);
        self.taken.fetch_sub(1, SeqCst);
    }

    /// Whether some wanted seat is free: fewer seats are taken than wanted. (Workers still
    /// retiring after a shrink hold seats above the size; when the last of them leaves, it
    /// asks again.)
    pub(crate) fn has_free_seat(&self) -> bool {
        self.taken.load(SeqCst) < self.size()
    }

    /// Whether a seat the pool keeps filled (every wanted seat, or an elastic pool's
    /// minimum) is free: asked by a worker that has just left its seat, in case a resize
    /// wanted it again meanwhile. Reads a flag per seat: only when a worker leaves.
    pub(crate) fn has_unfilled_seat(&self) -> bool {
        (0..self.filled_at_once()).any(|seat| !self.seats[seat].taken.load(SeqCst))
    }

    /// Whether a submitter whose job is queued, or a worker that stopped idling or left its
    /// seat, should add a worker: the pool is elastic, nobody idles to take the job, and a
    /// wanted seat is free. The fence pairs the submitter's send with the worker's change
    /// of `idle` or `taken`: whichever looks last sees both the job and that nobody idles.
    #[inline]
    pub(crate) fn should_grow(&self) -> bool {
        if !self.is_elastic() {
            return false;
        }
        fence(SeqCst);
        self.idle.load(SeqCst) == 0 && self.has_free_seat()
    }

    /// Counts an elastic pool's worker as idle until the guard is dropped.
    pub(crate) fn idling(&self) -> Option<Idling<'_>> {
        self.is_elastic().then(|| {
            self.idle.fetch_add(1, SeqCst);
            Idling(self)
        })
    }

    /// Ready once `seat` is no longer wanted; registers the caller's waker first, so that a
    /// resize in between is not missed.
    pub(crate) fn poll_unwanted(&self, seat: usize, cx: &std::task::Context<'_>) -> Poll<()> {
        self.seats[seat].unwanted.register(cx.waker());
        if seat < self.size() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// An idle worker of an elastic pool.
pub(crate) struct Idling<'a>(&'a Roster);

impl Drop for Idling<'_> {
    fn drop(&mut self) {
        self.0.idle.fetch_sub(1, SeqCst);
    }
}
