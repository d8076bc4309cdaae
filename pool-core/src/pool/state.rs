//! The state a pool shares with its workers.

use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use uuid::Uuid;

use crate::job::pool_identity::PoolIdentity;
use crate::observe::clock::Stamp;
use crate::observe::counters::WorkerCounters;
use crate::observe::results_sink::ResultsSink;
use crate::observe::timings::{self, PoolTimings};
use crate::pool::lifecycle::{Lifecycle, Phase};
use crate::rt::blocking::BlockingRunner;
use crate::run::roster::Roster;
use crate::submit::envelope::{Envelope, Extras};
use crate::submit::intake::Intake;
use crate::submit::own_jobs::OwnJobsWaiting;
use crate::sync::lock::lock;
use crate::sync::panic::contain;
use crate::sync::wait_group::WaitGroup;
use crate::{CancellationToken, Executor, JobError, JobStatus, PoolStats, UnstartedJob};

/// The name a job gets in reports when its own `name()` panicked.
pub(crate) const UNNAMED: &str = "<name() panicked>";

/// What a pool's handle and its workers share: the queue, the seats, the book-keeping.
pub(crate) struct PoolState<E: Executor, O: Send + 'static> {
    pub(crate) executor: E,
    /// Who the pool is, with its token: shared with every [`JobContext`](crate::JobContext).
    pub(crate) identity: Arc<PoolIdentity>,
    pub(crate) queue_tx: Sender<Envelope<O>>,
    pub(crate) queue_rx: Receiver<Envelope<O>>,
    pub(crate) intake: Intake,
    /// Which worker seats are wanted and taken: the pool's size.
    pub(crate) roster: Roster,
    /// The pool's phase and its workers' tasks: held by whoever spawns workers (`start`,
    /// `resize`, a submitter or a worker growing an elastic pool, a shutdown).
    pub(crate) lifecycle: Mutex<Lifecycle<E::Task>>,
    /// Per worker seat (`max_workers` of them), as are the fields below.
    pub(crate) counters: Box<[WorkerCounters]>,
    /// The clock and per-worker histograms, when timings were asked for.
    pub(crate) timings: Option<PoolTimings>,
    pub(crate) live_workers: Arc<WaitGroup>,
    pub(crate) job_timeout: Option<Duration>,
    pub(crate) results: Option<ResultsSink<O>>,
    pub(crate) own_jobs_waiting: OwnJobsWaiting,
    not_started: AtomicU64,
    /// Jobs their handle aborted, found in the queue when the pool stopped.
    aborted_unstarted: AtomicU64,
    unstarted: Mutex<Vec<UnstartedJob<O>>>,
    /// Set once a shutdown has drained everything: the counters are final.
    stopped: AtomicBool,
    /// Set by `start`; a job submitted before it is worth one warning, in case `start` was
    /// forgotten (its jobs would wait forever, in silence).
    started: AtomicBool,
    warned_not_started: AtomicBool,
}

impl<E: Executor, O: Send + 'static> PoolState<E, O> {
    /// The state, whose identity reaches back to it (weakly) for blocking work.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        executor: E,
        id: u64,
        name: String,
        token: CancellationToken,
        roster: Roster,
        queue_capacity: usize,
        max_jobs: Option<u64>,
        job_timeout: Option<Duration>,
        results: Option<ResultsSink<O>>,
        timings: bool,
    ) -> Arc<Self> {
        let pool_id = id;
        let seats = roster.max();
        let tasks = (0..seats).map(|_| None).collect();
        let (queue_tx, queue_rx) = async_channel::bounded(queue_capacity);
        // Upstream cancellation closes the intake at once, without a watcher task; the
        // workers then hand back what is queued.
        let weak_tx = queue_tx.downgrade();
        token.on_cancel(move || {
            if let Some(queue_tx) = weak_tx.upgrade() {
                queue_tx.close();
            }
        });
        Arc::new_cyclic(|state: &Weak<Self>| Self {
            executor,
            identity: Arc::new(PoolIdentity {
                id,
                uuid: Uuid::new_v4(),
                name,
                token,
                blocking: state.clone(),
            }),
            queue_tx,
            queue_rx,
            intake: Intake::new(id, max_jobs),
            roster,
            lifecycle: Mutex::new(Lifecycle {
                phase: Phase::Built,
                tasks,
            }),
            counters: (0..seats).map(|_| WorkerCounters::default()).collect(),
            timings: timings.then(|| PoolTimings::new(seats)),
            live_workers: Arc::default(),
            job_timeout,
            results,
            own_jobs_waiting: OwnJobsWaiting::new(pool_id, seats),
            not_started: AtomicU64::new(0),
            aborted_unstarted: AtomicU64::new(0),
            unstarted: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
            started: AtomicBool::new(false),
            warned_not_started: AtomicBool::new(false),
        })
    }

    /// The pool's own token: a child of the upstream one, if any.
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.identity.token
    }

    /// Stops accepting jobs; queued ones stay queued.
    pub(crate) fn close_intake(&self) {
        self.queue_tx.close();
    }

    /// A snapshot that holds the rules [`PoolStats`] states at every read.
    pub(crate) fn stats(&self) -> PoolStats {
        // Read first: if the pool has stopped, every counter read below is final. (Read last,
        // a reader descheduled among the counters would mix old counts with the final rule.)
        let stopped = self.stopped.load(Acquire);
        let mut stats = PoolStats {
            max_workers: self.roster.max(),
            not_started: self.not_started.load(Relaxed),
            ..PoolStats::default()
        };
        let mut aborted_unstarted = self.aborted_unstarted.load(Relaxed);
        stats.aborted += aborted_unstarted;
        for counters in &self.counters {
            counters.add_to(&mut stats);
            aborted_unstarted += counters.aborted_unstarted();
        }
        stats.queued = self.queue_rx.len();
        stats.timings = self
            .timings
            .as_ref()
            .map(|t| timings::summarize(&t.workers));
        // Read once, after the counters: a resize up before this read counts the workers it
        // added against the size that allows them.
        stats.workers = self.roster.size();
        stats.min_workers = self.roster.min_of(stats.workers);
        // A worker seen busy was alive when its flag was read, even if it has left since; a
        // worker leaving its seat is counted until its task ends, while its successor may be
        // counted already.
        let occupied = stats.busy + stats.waiting_for_reader;
        stats.live_workers = self
            .live_workers
            .count()
            .max(occupied)
            .min(stats.max_workers);
        stats.idle = stats.live_workers - occupied;
        stats.submitted = if stopped {
            // Exact: every accepted job has been started, aborted by its handle before it
            // started, or handed back. (The intake's count can trail for a moment: a producer
            // whose job is in may not have counted it yet.)
            stats.started + aborted_unstarted + stats.not_started
        } else {
            self.intake.submitted()
        };
        stats
    }

    /// Whether a worker whose seat is no longer wanted should still take a job: the workers
    /// of the wanted seats all run jobs that wait to submit into this full queue, so only a
    /// worker that takes a job can make the room they wait for. The bound gives way to the
    /// deadlock it would cause.
    pub(crate) fn own_jobs_need_a_retiring_worker(&self) -> bool {
        // The size first: a job whose submit saw the size before the shrink counted itself
        // waiting before it looked, so this worker, having seen the new size, sees it.
        let size = self.roster.size();
        self.own_jobs_waiting.workers_waiting() >= size && !self.queue_rx.is_empty()
    }

    /// Now, if the pool keeps timings: a job's submit time (0 when it does not).
    #[inline]
    pub(crate) fn submit_time(&self) -> Stamp {
        self.timings
            .as_ref()
            .map_or(0, |timings| timings.clock.now())
    }

    pub(crate) fn mark_started(&self) {
        self.started.store(true, Release);
    }

    /// Warns, once per pool, of a job submitted before `start`: legitimate (it runs once the
    /// pool starts), but the one sign of a forgotten `start`.
    pub(crate) fn note_submission(&self) {
        if !self.started.load(Relaxed) && !self.warned_not_started.swap(true, Relaxed) {
            tracing::warn!(
                pool = %self.identity.name,
                "a job was submitted to a pool that is not started: it waits until start() is called"
            );
        }
    }

    /// Marks the counters final: called once the workers are gone and the queue is drained.
    pub(crate) fn mark_stopped(&self) {
        self.stopped.store(true, Release);
    }

    /// Hands back a job that will never start: its handle resolves to `NotStarted`, and the
    /// job itself waits in `unstarted` for the shutdown report. Never waits: the pool is
    /// stopping, or was never started.
    ///
    /// A job its handle aborted is not handed back (the caller gave it up): it is dropped, and
    /// ends `Aborted`, as it would have on a worker.
    pub(crate) fn hand_back(&self, mut envelope: Envelope<O>) {
        let id = envelope.id();
        let Extras {
            reply,
            submitted_in,
            ..
        } = envelope.take_extras();
        // The submitter's span closes now, not when the caller drops the report.
        drop(submitted_in);
        let aborted = reply.as_ref().is_some_and(|reply| reply.is_aborted(id));
        let outcome = if aborted {
            self.aborted_unstarted.fetch_add(1, Relaxed);
            JobError::ABORTED
        } else {
            self.not_started.fetch_add(1, Relaxed);
            JobError::NOT_STARTED
        };
        if let Some(sink) = self.results.as_ref().filter(|sink| sink.is_open()) {
            sink.publish_now(JobStatus {
                id,
                name: name_of(&envelope),
                outcome: Err(outcome.clone()),
            });
        }
        if aborted {
            if envelope.drop_contained().is_err() {
                tracing::warn!(pool = %self.identity.name, job = %id, "a job panicked while being dropped");
            }
        } else {
            lock(&self.unstarted).push(UnstartedJob::new(envelope));
        }
        if let Some(reply) = reply {
            reply.send(id, Err(outcome));
        }
    }

    /// Hands back every job still queued: the workers are gone, or never came.
    pub(crate) fn drain_queue(&self) -> usize {
        let mut handed_back = 0;
        while let Ok(envelope) = self.queue_rx.try_recv() {
            self.hand_back(envelope);
            handed_back += 1;
        }
        handed_back
    }

    pub(crate) fn take_unstarted(&self) -> Vec<UnstartedJob<O>> {
        std::mem::take(&mut *lock(&self.unstarted))
    }
}

impl<E: Executor, O: Send + 'static> Drop for PoolState<E, O> {
    /// Whatever is still queued when the pool's state goes (its runtime dropped the workers
    /// mid-queue) is told `NotStarted`, so that no handle or job set waits forever.
    fn drop(&mut self) {
        while let Ok(mut envelope) = self.queue_rx.try_recv() {
            let id = envelope.id();
            let reply = envelope.take_extras().reply;
            // The job first, then its outcome, as everywhere else.
            drop(envelope);
            if let Some(reply) = reply {
                reply.send(id, Err(JobError::NOT_STARTED));
            }
        }
    }
}

/// A job's name, or [`UNNAMED`] if asking for it panicked.
fn name_of<O: Send + 'static>(envelope: &Envelope<O>) -> String {
    contain(|| envelope.name().to_owned()).unwrap_or_else(|_| UNNAMED.to_owned())
}

impl<E: Executor, O: Send + 'static> BlockingRunner for PoolState<E, O> {
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>) {
        self.executor.spawn_blocking(task);
    }
}
