//! Which worker seats are wanted now, which are taken, and how idle workers learn that they
//! should leave: the state behind `resize` and an elastic pool's growth and retirement.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;

use atomic_waker::AtomicWaker;

/// The pool's seats: one per worker it may ever have (`max_workers`), fixed at build, so that
/// per-worker state (counters, timings, resources) is sized once and nothing on a job's path
/// grows or locks.
///
/// Seat `i` is *wanted* while `i < size`; at most `size` seats are *taken* by live workers at
/// a time after a shrink has taken effect. A seat is taken and given up by compare-and-swap,
/// so that a resize and a worker leaving at the same moment end with exactly one worker per
/// wanted seat.
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
            seats: (0..max).map(|_| Seat::default()).collect(),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size.0.load(SeqCst)
    }

    /// The fewest workers an elastic pool keeps: never more than its size.
    pub(crate) fn min(&self) -> usize {
        self.min.min(self.size())
    }

    pub(crate) fn max(&self) -> usize {
        self.seats.len()
    }

    pub(crate) fn is_elastic(&self) -> bool {
        self.idle_timeout.is_some()
    }

    /// How long a worker of `seat` may wait idle before it leaves, if it may.
    pub(crate) fn idle_timeout_of(&self, seat: usize) -> Option<Duration> {
        self.idle_timeout.filter(|_| seat >= self.min())
    }

    /// Whether `seat` may take jobs. On every job: a plain load (the line is rarely written).
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
        self.seats[seat]
            .taken
            .compare_exchange(false, true, SeqCst, SeqCst)
            .is_ok()
    }

    /// Takes the first free wanted seat, for a worker that growth adds.
    pub(crate) fn take_free(&self) -> Option<usize> {
        (0..self.size()).find(|&seat| self.take(seat))
    }

    /// Gives `seat` up, for a worker that leaves because its seat is no longer wanted. Returns
    /// false if the seat was wanted again meanwhile and this worker took it back: it stays.
    pub(crate) fn leave_unwanted(&self, seat: usize) -> bool {
        self.seats[seat].taken.store(false, SeqCst);
        // A resize that wants the seat again either sees it free (and fills it) or stored its
        // size before this load (and this worker takes the seat back): never both, never
        // neither.
        !(seat < self.size() && self.take(seat))
    }

    /// Gives `seat` up, for an idle worker past its timeout. Returns false if `work_waits`
    /// (asked after the seat is given up) says a job came in and this worker took the seat
    /// back to run it.
    pub(crate) fn leave_idle(&self, seat: usize, work_waits: impl Fn() -> bool) -> bool {
        self.seats[seat].taken.store(false, SeqCst);
        // Pairs with the fence of `should_grow`: either the submitter sees this seat free and
        // grows into it, or this worker sees its job and stays.
        std::sync::atomic::fence(SeqCst);
        !(work_waits() && self.take(seat))
    }

    /// Whether a submitter whose job is queued should add a worker: the pool is elastic,
    /// nobody idles to take the job, and a wanted seat may be free.
    pub(crate) fn should_grow(&self, live: impl Fn() -> usize) -> bool {
        if !self.is_elastic() {
            return false;
        }
        std::sync::atomic::fence(SeqCst);
        self.idle.load(SeqCst) == 0 && live() < self.size()
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
