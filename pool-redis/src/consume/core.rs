//! What a consumer's clones share: a state per queue it serves, and the local pool, room and
//! stop signals those queues share. Its loops are each queue's loops, and one settler that
//! hands every outcome to the queue its job was read from.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pool_core::{CancellationToken, Executor, JobStatus, Results, WorkerPool};

use crate::consume::hold::slots::Slots;
use crate::consume::queue_state::QueueState;
use crate::job::registry::Completed;
use crate::{ConsumerStats, QueueError};

/// Outcomes read from the local pool at once, at most: their successes share one script
/// call per queue; each failure has its own.
const SETTLE_BATCH: usize = 256;

/// A consumer, shared by its clones.
pub(crate) struct ConsumerCore<E: Executor> {
    pub(crate) name: String,
    /// A state per queue served, in the consumer's order.
    pub(crate) queues: Vec<QueueState<E>>,
    pub(crate) executor: E,
    pub(crate) pool: WorkerPool<E, Completed>,
    pub(crate) results: Results<Completed>,
    pub(crate) slots: Arc<Slots>,
    /// How long past its deadline a timed shutdown may take.
    pub(crate) past_deadline: Duration,
    /// Set by a shutdown: stop reading and reclaiming.
    pub(crate) stopping: CancellationToken,
    /// Every local job's outcome has been acted on.
    pub(crate) settled: CancellationToken,
    /// `run` has returned.
    pub(crate) finished: CancellationToken,
    /// A shutdown's deadline passed: every loop gives up at once.
    pub(crate) abandoned: CancellationToken,
    /// A queue's loop met an error retrying cannot mend; `fatal` says which.
    pub(crate) failed: CancellationToken,
    pub(crate) fatal: Arc<Mutex<Option<QueueError>>>,
    /// `run` was called, or a shutdown drives the consumer because it was not.
    pub(crate) run_started: AtomicBool,
}

impl<E: Executor> ConsumerCore<E> {
    /// The counts of every queue, added up.
    pub(crate) fn stats(&self) -> ConsumerStats {
        self.queues.iter().map(QueueState::stats).sum()
    }

    /// Each queue's name and counts.
    pub(crate) fn stats_by_queue(&self) -> Vec<(String, ConsumerStats)> {
        self.queues
            .iter()
            .map(|queue| (queue.queue.name().to_owned(), queue.stats()))
            .collect()
    }

    /// How many entries are held, in every queue.
    pub(crate) fn held(&self) -> usize {
        self.queues.iter().map(|queue| queue.holdings.len()).sum()
    }

    /// The error the consumer stopped for, once.
    pub(crate) fn take_fatal(&self) -> Option<QueueError> {
        self.fatal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Settles outcomes as the local pool reports them, until its results stream ends (the
    /// pool has stopped, and every outcome was read).
    pub(crate) async fn settle_until_drained(&self) {
        while let Some(first) = self.results.recv().await {
            let mut batch = vec![first];
            while batch.len() < SETTLE_BATCH && !self.results.is_empty() {
                match self.results.recv().await {
                    Some(status) => batch.push(status),
                    None => break,
                }
            }
            self.settle(batch).await;
        }
    }

    /// Hands each outcome to the queue whose entry its job ran. One whose entry is no
    /// longer held anywhere (its lease was found lost) only gives its slot back.
    async fn settle(&self, statuses: Vec<JobStatus<Completed>>) {
        if let [queue] = self.queues.as_slice() {
            return queue.settle(statuses).await;
        }
        let mut by_queue: Vec<Vec<JobStatus<Completed>>> =
            self.queues.iter().map(|_| Vec::new()).collect();
        let mut held_nowhere = 0;
        for status in statuses {
            match self
                .queues
                .iter()
                .position(|queue| queue.holdings.runs(status.id))
            {
                Some(index) => by_queue[index].push(status),
                None => held_nowhere += 1,
            }
        }
        for (queue, statuses) in self.queues.iter().zip(by_queue) {
            if !statuses.is_empty() {
                queue.settle(statuses).await;
            }
        }
        self.slots.give(held_nowhere);
    }
}
