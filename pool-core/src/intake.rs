//! The pool's front door: job ids, the submitted count, and the `max_jobs` limit.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::JobId;

/// Ids are handed out before a job is queued, so that a failed send (a full or closed queue)
/// burns an id; `submitted` is therefore `issued - rejected`, which costs the hot path one
/// atomic add instead of two.
///
/// Producers write here on every submission; the alignment keeps those writes off the cache
/// line that holds what workers read on every job (false sharing).
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Intake {
    next_id: AtomicU64,
    rejected: AtomicU64,
    limit: Option<Limit>,
}

/// `max_jobs`: slots are reserved before a send and given back if it fails, so that a
/// `try_submit` that finds the queue full does not use up the limit.
#[derive(Debug)]
struct Limit {
    max: u64,
    reserved: AtomicU64,
    accepted: AtomicU64,
}

/// Whether a job may be queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Admitted,
    /// `max_jobs` jobs have been accepted: the pool is closed for good.
    Exhausted,
    /// Every slot is reserved by a send still in flight, which may yet fail and free one.
    Contended,
}

impl Intake {
    pub(crate) fn new(max_jobs: Option<u64>) -> Self {
        Self {
            next_id: AtomicU64::new(1),
            rejected: AtomicU64::new(0),
            limit: max_jobs.map(|max| Limit {
                max,
                reserved: AtomicU64::new(0),
                accepted: AtomicU64::new(0),
            }),
        }
    }

    pub(crate) fn admit(&self) -> Admission {
        let Some(limit) = &self.limit else {
            return Admission::Admitted;
        };
        let reserved = limit.reserved.fetch_update(Relaxed, Relaxed, |taken| {
            (taken < limit.max).then_some(taken + 1)
        });
        match reserved {
            Ok(_) => Admission::Admitted,
            Err(_) if limit.accepted.load(Relaxed) >= limit.max => Admission::Exhausted,
            Err(_) => Admission::Contended,
        }
    }

    pub(crate) fn issue_id(&self) -> JobId {
        JobId(self.next_id.fetch_add(1, Relaxed))
    }

    /// Records an admitted job as queued; true when it was the last one `max_jobs` allows.
    pub(crate) fn accepted(&self) -> bool {
        match &self.limit {
            None => false,
            Some(limit) => limit.accepted.fetch_add(1, Relaxed) + 1 == limit.max,
        }
    }

    /// Records that an admitted job, with an id, was not queued after all.
    pub(crate) fn rejected(&self) {
        self.rejected.fetch_add(1, Relaxed);
        if let Some(limit) = &self.limit {
            limit.reserved.fetch_sub(1, Relaxed);
        }
    }

    pub(crate) fn submitted(&self) -> u64 {
        // Read while jobs are being submitted, the two loads may disagree by a job or two.
        let rejected = self.rejected.load(Relaxed);
        (self.next_id.load(Relaxed) - 1).saturating_sub(rejected)
    }
}
