//! The pool's front door: job ids, the submitted count, and the `max_jobs` limit.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use event_listener::{Event, EventListener};

use crate::JobId;
use crate::submit::accepted_counts::AcceptedCounts;

/// Ids are handed out before a job is queued (a worker may take it the moment it is in), so a
/// failed send burns an id. Accepted jobs are counted apart, after the send succeeded, by
/// counters that only grow, so no reader ever sees `submitted` go down, and a job refused or
/// still waiting for room is never in it: one per producer thread ([`AcceptedCounts`]), or,
/// with `max_jobs`, one shared counter, whose last increment closes the intake.
///
/// Producers write here on every submission; the alignment keeps those writes off the cache
/// line that holds what workers read on every job (false sharing).
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Intake {
    /// The pool's id: where each producer thread keeps its count for this pool.
    pool_id: u64,
    next_id: AtomicU64,
    /// With `max_jobs` only.
    accepted: AtomicU64,
    counts: AcceptedCounts,
    limit: Option<Limit>,
}

/// `max_jobs`: slots are reserved before a send and given back if it fails, so that a
/// `try_submit` that finds the queue full does not use up the limit.
#[derive(Debug)]
struct Limit {
    max: u64,
    reserved: AtomicU64,
    /// Notified when a reserved slot is given back or the last one is used: a submit that
    /// found every slot reserved waits here instead of spinning.
    settled: Event,
}

/// Whether a job may be queued.
#[derive(Debug)]
pub(crate) enum Admission {
    Admitted,
    /// `max_jobs` jobs have been accepted: the pool is closed for good.
    Exhausted,
    /// Every slot is reserved by a send still in flight, which may yet fail and free one:
    /// wait for the listener, then ask again.
    Contended(EventListener),
}

impl Intake {
    pub(crate) fn new(pool_id: u64, max_jobs: Option<u64>) -> Self {
        Self {
            pool_id,
            next_id: AtomicU64::new(1),
            accepted: AtomicU64::new(0),
            counts: AcceptedCounts::default(),
            limit: max_jobs.map(|max| Limit {
                max,
                reserved: AtomicU64::new(0),
                settled: Event::new(),
            }),
        }
    }

    #[inline]
    pub(crate) fn admit(&self) -> Admission {
        let Some(limit) = &self.limit else {
            return Admission::Admitted;
        };
        let reserve = || {
            limit
                .reserved
                .fetch_update(Relaxed, Relaxed, |taken| {
                    (taken < limit.max).then_some(taken + 1)
                })
                .is_ok()
        };
        if reserve() {
            return Admission::Admitted;
        }
        // Listen before looking again, so that a slot freed in between is not missed.
        let listener = limit.settled.listen();
        if reserve() {
            Admission::Admitted
        } else if self.accepted.load(Relaxed) >= limit.max {
            Admission::Exhausted
        } else {
            Admission::Contended(listener)
        }
    }

    #[inline]
    pub(crate) fn issue_id(&self) -> JobId {
        JobId(self.next_id.fetch_add(1, Relaxed))
    }

    /// Records an admitted job as queued; true when it was the last one `max_jobs` allows.
    #[inline]
    pub(crate) fn accepted(&self) -> bool {
        let Some(limit) = &self.limit else {
            self.counts.bump(self.pool_id);
            return false;
        };
        let accepted = self.accepted.fetch_add(1, Relaxed) + 1;
        if accepted == limit.max {
            limit.settled.notify(usize::MAX);
        }
        accepted == limit.max
    }

    /// Records that an admitted job was not queued after all.
    pub(crate) fn rejected(&self) {
        if let Some(limit) = &self.limit {
            limit.reserved.fetch_sub(1, Relaxed);
            limit.settled.notify(usize::MAX);
        }
    }

    /// Jobs accepted so far.
    pub(crate) fn submitted(&self) -> u64 {
        self.accepted.load(Relaxed) + self.counts.sum()
    }
}
