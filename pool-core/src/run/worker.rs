//! A worker: takes jobs from the queue one at a time and runs each to an outcome.

use std::sync::Arc;
#[cfg(feature = "metrics")]
use std::time::Duration;

use async_channel::TryRecvError;
use futures_lite::future;
use tracing::{Instrument, Span};

use crate::job::scope::RecentScopes;
use crate::observe::counters::WorkerCounters;
use crate::pool::lifecycle::{Lifecycle, Phase};
use crate::pool::state::{PoolState, UNNAMED};
use crate::run::execute::execute;
use crate::run::roster::Roster;
use crate::run::running::Running;
use crate::submit::envelope::{Envelope, Extras};
use crate::submit::reply::Reply;
use crate::sync::lock::lock;
use crate::sync::panic::contain;
use crate::sync::wait_group::Alive;
use crate::{Executor, JobContext, JobError, JobStatus};

/// How many jobs a worker takes before it lets the runtime run other tasks.
pub(crate) const JOBS_PER_YIELD: u32 = 64;

/// A worker's whole life, in seat `worker_id`. It ends when the queue is closed and empty, or
/// when its seat is no longer wanted (a shrink) or it idled past an elastic pool's timeout.
/// Once the pool's token is cancelled, it hands back what it takes instead of running it.
///
/// One job's path is written out in this loop, not in a nested `async fn`: a nested future
/// costs its construction and drop on every job.
pub(crate) async fn work<E: Executor, O: Send + 'static>(
    owned: Arc<PoolState<E, O>>,
    worker_id: usize,
    _alive: Alive,
) {
    let state = &*owned;
    let counters = &state.counters[worker_id];
    let mut ctx = JobContext::for_worker(Arc::clone(&state.identity), worker_id);
    let mut recent_scopes = RecentScopes::new();
    let timings = state
        .timings
        .as_ref()
        .map(|timings| (&timings.clock, &timings.workers[worker_id]));
    #[cfg(feature = "metrics")]
    let exported =
        timings.map(|_| crate::observe::job_histograms::JobHistograms::new(&state.identity.name));
    let roster = &state.roster;
    let seat = SeatGuard::new(roster, worker_id);
    let mut since_yield = 0_u32;
    loop {
        // A receive from a non-empty queue never suspends, and quick jobs may not either: a
        // worker with a deep queue would keep its thread for the whole queue, starving the
        // runtime's other tasks (tokio's cooperative budget does not see this channel). It
        // yields before it takes the next job, never while holding one: a job it holds waits
        // where no other worker can take it, and would be lost if the task were aborted there.
        if since_yield == JOBS_PER_YIELD {
            since_yield = 0;
            future::yield_now().await;
        }
        // Checked before each job, holding none: a shrink retires a busy worker here.
        if !roster.is_wanted(worker_id) && !state.own_jobs_need_a_retiring_worker() {
            break;
        }
        // A queue with jobs needs no receive future: only an empty one is waited on.
        let envelope = match state.queue_rx.try_recv() {
            Ok(envelope) => envelope,
            Err(TryRecvError::Empty) => match wait_idle(state, worker_id).await {
                WakeReason::Job(envelope) => envelope,
                WakeReason::Closed => break,
                WakeReason::Unwanted => continue,
                // A job that came in meanwhile gets a new worker: see `after_leaving`.
                WakeReason::Expired => break,
            },
            Err(TryRecvError::Closed) => break,
        };
        since_yield += 1;
        if roster.is_elastic() {
            owned.grow_if_jobs_wait();
        }
        if state.token().is_cancelled() {
            state.hand_back(envelope);
            continue;
        }
        // Taken just as a shrink took this seat away: back to the queue, for a worker that
        // stays. If the queue is full or closed, this worker runs it first.
        let envelope = if roster.is_wanted(worker_id) || state.own_jobs_need_a_retiring_worker() {
            envelope
        } else {
            match state.queue_tx.try_send(envelope) {
                Ok(()) => continue,
                Err(refused) => refused.into_inner(),
            }
        };
        let mut job = envelope;
        let id = job.id();
        let submitted_at = job.submitted_at();
        let Extras {
            reply,
            submitted_in,
        } = job.take_extras();
        let abort = reply.as_ref().map(Reply::abort_signal);
        // Aborted by its handle while it waited: it never runs.
        let aborted_early = abort.as_ref().is_some_and(|abort| abort.is_aborted(id));
        if !aborted_early {
            counters.started();
        }
        // `name()` is the job's own code too: a panic there is contained like one in
        // `process`, and the job is not run.
        let named = contain(|| ctx.begin(id, job.name(), abort.clone(), &mut recent_scopes));
        if named.is_err() {
            ctx.begin(id, UNNAMED, abort, &mut recent_scopes);
        }
        let mut running = Running {
            state,
            counters,
            id,
            name: ctx.job_name(),
            job: Some(job),
            reply,
        };
        let began = timings.map(|(clock, _)| clock.now());
        let named_ok = named.is_ok();
        let outcome = match named {
            _ if aborted_early => Err(JobError::ABORTED),
            // Without a span, no `Instrumented` wrapper: it costs on every poll even empty.
            Ok(()) => match submitted_in {
                Some(parent) => {
                    let span = job_span(state, &ctx, &parent);
                    execute(state, running.job(), &ctx, worker_id)
                        .instrument(span)
                        .await
                }
                None => execute(state, running.job(), &ctx, worker_id).await,
            },
            Err(message) => Err(JobError::panicked(format!("name() panicked: {message}"))),
        };
        // Only jobs that began count: not one aborted in the queue, nor one whose name
        // panicked before it could run.
        if let (Some((clock, timings)), Some(began), false, true) =
            (timings, began, aborted_early, named_ok)
        {
            let waited = clock.nanos_between(submitted_at, began);
            let ran = clock.nanos_between(began, clock.now());
            timings.record(waited, ran);
            #[cfg(feature = "metrics")]
            if let Some(exported) = &exported {
                exported.record(Duration::from_nanos(waited), Duration::from_nanos(ran));
            }
        }
        let status = running.finish(outcome);
        // The job's abort signal goes with it: an idle worker holds nothing of a past job.
        ctx.end_job();
        if let Some(status) = status {
            publish(state, counters, status).await;
        }
    }
    drop(seat);
    owned.after_leaving();
    tracing::trace!(pool = %state.identity.name, worker_id, "worker stopped");
}

/// A worker's seat, given up when its task ends however it ends: returned, or dropped by
/// its runtime (then nobody refills the seat: the pool is going away with its runtime).
struct SeatGuard<'a> {
    roster: &'a Roster,
    seat: usize,
}

impl<'a> SeatGuard<'a> {
    fn new(roster: &'a Roster, seat: usize) -> Self {
        Self { roster, seat }
    }
}

impl Drop for SeatGuard<'_> {
    fn drop(&mut self) {
        self.roster.leave(self.seat);
    }
}

/// What an idle worker woke up for.
enum WakeReason<O> {
    Job(Envelope<O>),
    /// The queue is closed and empty.
    Closed,
    /// A shrink took the worker's seat away.
    Unwanted,
    /// An elastic pool's idle timeout passed.
    Expired,
}

/// Waits for a job on an empty queue, for the worker's seat to be taken away by a shrink, or
/// for an elastic pool's idle timeout. Seat 0 is always wanted, so its worker (the one a pool
/// of one has) waits on the queue alone.
async fn wait_idle<E: Executor, O: Send + 'static>(
    state: &PoolState<E, O>,
    seat: usize,
) -> WakeReason<O> {
    let _idling = state.roster.idling();
    let job = async {
        match state.queue_rx.recv().await {
            Ok(envelope) => WakeReason::Job(envelope),
            Err(_) => WakeReason::Closed,
        }
    };
    if seat == 0 {
        return job.await;
    }
    let unwanted = future::poll_fn(|cx| {
        state
            .roster
            .poll_unwanted(seat, cx)
            .map(|()| WakeReason::Unwanted)
    });
    match state.roster.idle_timeout_of(seat) {
        None => future::or(job, unwanted).await,
        Some(limit) => {
            let expired = async {
                state.executor.sleep(limit).await;
                WakeReason::Expired
            };
            future::or(job, future::or(unwanted, expired)).await
        }
    }
}

/// The span a job runs in: a child of the span that was current where it was submitted, so
/// that a request's trace follows its jobs into the pool.
fn job_span<E: Executor, O: Send + 'static>(
    state: &PoolState<E, O>,
    ctx: &JobContext,
    parent: &Span,
) -> Span {
    tracing::debug_span!(
        parent: parent,
        "job",
        pool = %state.identity.name,
        job = ctx.job_id().get(),
        name = %ctx.job_name(),
        worker = ctx.worker_id(),
    )
}

/// Puts a status on a full results stream: the worker waits for the reader, and says so in
/// the stats, until there is room or the pool begins to stop.
async fn publish<E: Executor, O: Send + 'static>(
    state: &PoolState<E, O>,
    counters: &WorkerCounters,
    status: JobStatus<O>,
) {
    let Some(sink) = &state.results else { return };
    if let Err(status) = sink.try_publish(status) {
        let _waiting = counters.waiting_for_reader();
        sink.publish_when_room(status).await;
    }
}

impl<E: Executor, O: Send + 'static> PoolState<E, O> {
    /// Fills the free seats the pool wants filled, if it is running: for a worker that saw jobs
    /// wait in an elastic pool or left a seat that is wanted again, and for a submitter.
    pub(crate) fn refill(self: &Arc<Self>) {
        let mut lifecycle = lock(&self.lifecycle);
        // A shutdown has begun: the workers alive finish (or hand back) the queue.
        if lifecycle.phase == Phase::Running {
            self.fill_seats(&mut lifecycle);
        }
    }

    /// Adds workers to an elastic pool if jobs wait with no idle worker to take them: called
    /// by a submitter whose job is queued (or who finds the queue full), and by a worker that
    /// took a job and sees more waiting (the submitter of the job it sees may have looked
    /// while this worker still counted as idle). For a pool that is not elastic, one load of
    /// a field that never changes.
    pub(crate) fn grow_if_jobs_wait(self: &Arc<Self>) {
        if self.roster.should_grow()
            && !self.queue_rx.is_empty()
            && self.executor.check_runtime().is_ok()
        {
            self.refill();
        }
    }

    /// For a worker that has just given its seat up: if that seat is wanted again (a resize
    /// up raced its leaving), or jobs wait in an elastic pool with no idle worker, the pool
    /// spawns workers for them. The leaving worker never takes a seat back itself, so that
    /// each seat's task handle is its worker's.
    fn after_leaving(self: &Arc<Self>) {
        if self.queue_tx.is_closed() {
            return;
        }
        let jobs_wait = || self.roster.should_grow() && !self.queue_rx.is_empty();
        if self.roster.has_unfilled_seat() || jobs_wait() {
            self.refill();
        }
    }

    /// Spawns a worker into every free seat the pool fills at once (all wanted seats, or an
    /// elastic pool's minimum), then, for an elastic pool, one more per queued job while
    /// growth is called for. Called under the lifecycle lock.
    pub(crate) fn fill_seats(self: &Arc<Self>, lifecycle: &mut Lifecycle<E::Task>) {
        let roster = &self.roster;
        for seat in 0..roster.filled_at_once() {
            if roster.take(seat) {
                self.spawn_worker(lifecycle, seat);
            }
        }
        for _ in 0..self.queue_rx.len() {
            let seat = roster.should_grow().then(|| roster.take_free()).flatten();
            match seat {
                Some(seat) => self.spawn_worker(lifecycle, seat),
                None => break,
            }
        }
    }

    /// Spawns the worker of `seat`, which the caller has taken. The handle of the seat's
    /// previous worker (gone, or leaving without a job) is dropped, which detaches it.
    fn spawn_worker(self: &Arc<Self>, lifecycle: &mut Lifecycle<E::Task>, seat: usize) {
        // Counted alive before it runs, so that no shutdown misses it.
        let alive = self.live_workers.enter();
        let task = self.executor.spawn(work(Arc::clone(self), seat, alive));
        lifecycle.tasks[seat] = Some(task);
    }
}
