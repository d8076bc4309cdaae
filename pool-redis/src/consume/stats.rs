//! What a consumer has done: counted as it goes, read as a snapshot.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::{Deserialize, Serialize};

/// A consumer's counts since it started, from [`Consumer::stats`](crate::Consumer::stats).
///
/// Each count is of what Redis did: a settling command whose reply a dropped connection
/// lost is sent again under the same call id, and Redis answers it with the first reply, so
/// nothing done is counted twice or as lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Entries taken from the queue: read new, or reclaimed.
    pub read: u64,
    /// Of `read`, entries reclaimed from a consumer whose lease lapsed: it crashed, paused
    /// past the visibility timeout, or lost Redis. The one to alert on.
    pub reclaimed: u64,
    /// Delayed jobs this consumer moved into the stream once they were due (any consumer may
    /// read them then): scheduled ones, and failed ones whose back-off had passed.
    pub promoted: u64,
    /// Of `promoted`, failed jobs moved back once their back-off had passed.
    pub retries_taken: u64,
    /// Of `read`, entries a stopping consumer gave back, taken here.
    pub releases_taken: u64,
    /// Of `read`, entries that a read whose reply was lost (a dropped connection) had
    /// delivered to this consumer, taken in once the connection was back.
    pub recovered: u64,
    /// Jobs that ran to success here, and are acknowledged (and deleted).
    pub acknowledged: u64,
    /// Failed runs left for a retry after their back-off.
    pub retried: u64,
    /// Entries moved to the dead letters by this consumer.
    pub dead_lettered: u64,
    /// Entries given back to the group unstarted, without charging an attempt (a shutdown).
    pub released: u64,
    /// Jobs cancelled by their key ([`Producer::cancel`](crate::Producer::cancel)) that this
    /// consumer settled: not started, or stopped by the cancel.
    pub cancelled: u64,
    /// Jobs found over their kind's rate or concurrency limit as they were about to start:
    /// sent to wait for their turn in the delayed set, without using an attempt.
    pub over_limit: u64,
    /// Lease renewals: one per held entry per renewal round.
    pub lease_renewals: u64,
    /// Held entries found taken by another consumer (this one's lease had lapsed, in a pause
    /// say): found by a lease renewal, by a job about to start (it then does not start), or
    /// by a settlement (its outcome is not acted on: the new holder settles the entry).
    pub leases_lost: u64,
    /// Entries a reclaim found deleted from the stream while pending: counted, then gone.
    pub deleted_while_pending: u64,
    /// Entries held now: queued or running on the local pool.
    pub held: u64,
}

/// Counts add up field by field: a consumer of several queues reports their sum, and an
/// application running several consumers may add theirs.
impl std::ops::Add for ConsumerStats {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            read: self.read + other.read,
            reclaimed: self.reclaimed + other.reclaimed,
            promoted: self.promoted + other.promoted,
            retries_taken: self.retries_taken + other.retries_taken,
            releases_taken: self.releases_taken + other.releases_taken,
            recovered: self.recovered + other.recovered,
            acknowledged: self.acknowledged + other.acknowledged,
            retried: self.retried + other.retried,
            dead_lettered: self.dead_lettered + other.dead_lettered,
            released: self.released + other.released,
            cancelled: self.cancelled + other.cancelled,
            over_limit: self.over_limit + other.over_limit,
            lease_renewals: self.lease_renewals + other.lease_renewals,
            leases_lost: self.leases_lost + other.leases_lost,
            deleted_while_pending: self.deleted_while_pending + other.deleted_while_pending,
            held: self.held + other.held,
        }
    }
}

impl std::iter::Sum for ConsumerStats {
    fn sum<I: Iterator<Item = Self>>(stats: I) -> Self {
        stats.fold(Self::default(), std::ops::Add::add)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) read: AtomicU64,
    pub(crate) reclaimed: AtomicU64,
    pub(crate) promoted: AtomicU64,
    pub(crate) retries_taken: AtomicU64,
    pub(crate) releases_taken: AtomicU64,
    pub(crate) recovered: AtomicU64,
    pub(crate) acknowledged: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) released: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    pub(crate) over_limit: AtomicU64,
    pub(crate) lease_renewals: AtomicU64,
    pub(crate) leases_lost: AtomicU64,
    pub(crate) deleted_while_pending: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub(crate) fn snapshot(&self, held: usize) -> ConsumerStats {
        let at = |counter: &AtomicU64| counter.load(Relaxed);
        ConsumerStats {
            read: at(&self.read),
            reclaimed: at(&self.reclaimed),
            promoted: at(&self.promoted),
            retries_taken: at(&self.retries_taken),
            releases_taken: at(&self.releases_taken),
            recovered: at(&self.recovered),
            acknowledged: at(&self.acknowledged),
            retried: at(&self.retried),
            dead_lettered: at(&self.dead_lettered),
            released: at(&self.released),
            cancelled: at(&self.cancelled),
            over_limit: at(&self.over_limit),
            lease_renewals: at(&self.lease_renewals),
            leases_lost: at(&self.leases_lost),
            deleted_while_pending: at(&self.deleted_while_pending),
            held: held as u64,
        }
    }
}
