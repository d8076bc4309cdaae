//! The state a pool shares with its workers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_channel::{Receiver, Sender};

use crate::context::PoolIdentity;
use crate::counters::WorkerCounters;
use crate::envelope::{Envelope, ErasedJob};
use crate::intake::Intake;
use crate::lock::lock;
use crate::sink::ResultsSink;
use crate::wait_group::WaitGroup;
use crate::{CancellationToken, JobError, JobStatus, PoolStats, UnstartedJob};

/// The name a job gets in reports when its own `name()` panicked.
pub(crate) const UNNAMED: &str = "<name() panicked>";

#[derive(Debug)]
pub(crate) struct Shared<E, O> {
    pub(crate) executor: E,
    pub(crate) identity: Arc<PoolIdentity>,
    /// The pool's own token: a child of the upstream one, if any.
    pub(crate) token: CancellationToken,
    pub(crate) queue_tx: Sender<Envelope<O>>,
    pub(crate) queue_rx: Receiver<Envelope<O>>,
    pub(crate) intake: Intake,
    pub(crate) counters: Box<[WorkerCounters]>,
    pub(crate) live_workers: Arc<WaitGroup>,
    pub(crate) job_timeout: Option<Duration>,
    pub(crate) results: Option<ResultsSink<O>>,
    not_started: AtomicU64,
    unstarted: Mutex<Vec<UnstartedJob<O>>>,
    /// Set once a shutdown has drained everything: the counters are final.
    stopped: AtomicBool,
}

impl<E, O: Send + 'static> Shared<E, O> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        executor: E,
        identity: PoolIdentity,
        token: CancellationToken,
        workers: usize,
        queue_capacity: usize,
        max_jobs: Option<u64>,
        job_timeout: Option<Duration>,
        results: Option<ResultsSink<O>>,
    ) -> Self {
        let (queue_tx, queue_rx) = async_channel::bounded(queue_capacity);
        // Upstream cancellation closes the intake at once, without a watcher task; the
        // workers then hand back what is queued.
        let weak_tx = queue_tx.downgrade();
        token.on_cancel(move || {
            if let Some(queue_tx) = weak_tx.upgrade() {
                queue_tx.close();
            }
        });
        Self {
            executor,
            identity: Arc::new(identity),
            token,
            queue_tx,
            queue_rx,
            intake: Intake::new(max_jobs),
            counters: (0..workers).map(|_| WorkerCounters::default()).collect(),
            live_workers: Arc::default(),
            job_timeout,
            results,
            not_started: AtomicU64::new(0),
            unstarted: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        }
    }

    /// Stops accepting jobs; queued ones stay queued.
    pub(crate) fn close_intake(&self) {
        self.queue_tx.close();
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let mut stats = PoolStats {
            workers: self.counters.len(),
            not_started: self.not_started.load(Relaxed),
            ..PoolStats::default()
        };
        for counters in &self.counters {
            counters.add_to(&mut stats);
        }
        stats.queued = self.queue_rx.len();
        stats.idle = self.live_workers.count().saturating_sub(stats.busy);
        stats.submitted = if self.stopped.load(Acquire) {
            // Every accepted job has been started or handed back. (The intake's own count
            // can still run ahead for a moment: a producer that took an id may not have
            // learnt yet that the closed queue refused its job.)
            stats.started + stats.not_started
        } else {
            // Read last, so that every job counted above has been counted as submitted.
            self.intake.submitted()
        };
        stats
    }

    /// Marks the counters final: called once the workers are gone and the queue is drained.
    pub(crate) fn mark_stopped(&self) {
        self.stopped.store(true, Release);
    }

    /// Hands back a job that will never start: its handle resolves to `NotStarted`, and the
    /// job itself waits in `unstarted` for the shutdown report.
    pub(crate) async fn hand_back(&self, envelope: Envelope<O>) {
        if let Some((sink, status)) = self.set_aside(envelope) {
            sink.publish(status).await;
        }
    }

    /// [`hand_back`](Self::hand_back) for a caller that cannot wait, such as `Drop`.
    pub(crate) fn hand_back_now(&self, envelope: Envelope<O>) {
        if let Some((sink, status)) = self.set_aside(envelope) {
            sink.publish_now(status);
        }
    }

    fn set_aside(&self, envelope: Envelope<O>) -> Option<(&ResultsSink<O>, JobStatus<O>)> {
        let Envelope { id, job, reply } = envelope;
        self.not_started.fetch_add(1, Relaxed);
        let status = self.results.as_ref().map(|sink| {
            let outcome = Err(JobError::NotStarted);
            (sink, sink.status(id, &name_of(job.as_ref()), &outcome))
        });
        if let Some(reply) = reply {
            let _ = reply.send(Err(JobError::NotStarted));
        }
        lock(&self.unstarted).push(UnstartedJob::new(id, job));
        status
    }

    /// Hands back every job still queued: the workers are gone, or never came.
    pub(crate) async fn drain_queue(&self) {
        while let Ok(envelope) = self.queue_rx.try_recv() {
            self.hand_back(envelope).await;
        }
    }

    pub(crate) fn take_unstarted(&self) -> Vec<UnstartedJob<O>> {
        std::mem::take(&mut *lock(&self.unstarted))
    }
}

/// A job's name, or [`UNNAMED`] if asking for it panicked.
pub(crate) fn name_of<O: Send + 'static>(job: &dyn ErasedJob<O>) -> String {
    catch_unwind(AssertUnwindSafe(|| job.name().to_owned())).unwrap_or_else(|_| UNNAMED.to_owned())
}
