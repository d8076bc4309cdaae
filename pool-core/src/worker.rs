//! A worker: takes jobs from the queue one at a time and runs each to an outcome.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_channel::TryRecvError;
use futures_lite::future;
use tracing::{Instrument, Span};

use crate::counters::WorkerCounters;
use crate::envelope::Envelope;
use crate::own_job::JobFuture;
use crate::panic_message::panic_message;
use crate::reply::Reply;
use crate::roster::Roster;
use crate::shared::{Shared, UNNAMED};
use crate::wait_group::Alive;
use crate::{Executor, JobContext, JobError, JobId, JobProcessor, JobStatus};

/// How many jobs a worker takes before it lets the runtime run other tasks.
pub(crate) const JOBS_PER_YIELD: u32 = 64;

/// A worker's whole life, in seat `worker_id`. It ends when the queue is closed and empty, or
/// when its seat is no longer wanted (a shrink) or it idled past an elastic pool's timeout.
/// Once the pool's token is cancelled, it hands back what it takes instead of running it.
///
/// One job's path is written out in this loop, not in a nested `async fn`: a nested future
/// costs its construction and drop on every job.
pub(crate) async fn work<E: Executor, O: Send + 'static>(
    shared: Arc<Shared<E, O>>,
    worker_id: usize,
    _alive: Alive,
) {
    let shared = &*shared;
    let counters = &shared.counters[worker_id];
    let mut ctx = JobContext::for_worker(Arc::clone(&shared.identity), worker_id);
    let timings = shared.timings.as_deref().map(|timings| &timings[worker_id]);
    #[cfg(feature = "metrics")]
    let exported =
        timings.map(|_| crate::metrics_export::JobHistograms::new(&shared.identity.name));
    let roster = &shared.roster;
    let seated = Seated::new(roster, worker_id);
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
        if !roster.is_wanted(worker_id) && !shared.own_jobs_need_a_retiring_worker() {
            break;
        }
        // A queue with jobs needs no receive future: only an empty one is waited on.
        let envelope = match shared.queue_rx.try_recv() {
            Ok(envelope) => envelope,
            Err(TryRecvError::Empty) => match wait_idle(shared, worker_id).await {
                Woke::Job(envelope) => envelope,
                Woke::Closed => break,
                Woke::Unwanted => continue,
                // A job that came in meanwhile gets a new worker: see `after_leaving`.
                Woke::Expired => break,
            },
            Err(TryRecvError::Closed) => break,
        };
        since_yield += 1;
        if roster.is_elastic() {
            shared.grow_if_jobs_wait();
        }
        if shared.token.is_cancelled() {
            shared.hand_back(envelope);
            continue;
        }
        // Taken just as a shrink took this seat away: back to the queue, for a worker that
        // stays. If the queue is full or closed, this worker runs it first.
        let envelope = if roster.is_wanted(worker_id) || shared.own_jobs_need_a_retiring_worker() {
            envelope
        } else {
            match shared.queue_tx.try_send(envelope) {
                Ok(()) => continue,
                Err(refused) => refused.into_inner(),
            }
        };
        let mut job = envelope;
        let id = job.id();
        let reply = job.take_reply();
        let submitted_in = job.take_span();
        // Asked of the job only with timings on: a call through its vtable costs otherwise.
        let submitted_at = timings.and_then(|_| job.submitted_at());
        let abort = reply.as_ref().and_then(Reply::abort_signal);
        // Aborted by its handle while it waited: it never runs.
        let aborted_early = abort.as_ref().is_some_and(|abort| abort.is_aborted(id));
        if !aborted_early {
            counters.started();
        }
        // `name()` is the job's own code too: a panic there is contained like one in
        // `process`, and the job is not run.
        let named = catch_unwind(AssertUnwindSafe(|| {
            ctx.begin(id, job.job_ref().name(), abort.clone())
        }));
        if named.is_err() {
            ctx.begin(id, UNNAMED, abort);
        }
        let mut running = Running {
            shared,
            counters,
            id,
            name: ctx.job_name(),
            job: Some(job),
            reply,
        };
        let began = timings.map(|_| Instant::now());
        let named_ok = named.is_ok();
        let outcome = match named {
            _ if aborted_early => Err(JobError::ABORTED),
            // Without a span, no `Instrumented` wrapper: it costs on every poll even empty.
            Ok(()) => match submitted_in {
                Some(parent) => {
                    let span = job_span(shared, &ctx, &parent);
                    execute(shared, running.job(), &ctx, worker_id)
                        .instrument(span)
                        .await
                }
                None => execute(shared, running.job(), &ctx, worker_id).await,
            },
            Err(payload) => Err(JobError::panicked(format!(
                "name() panicked: {}",
                panic_message(payload.as_ref())
            ))),
        };
        // Only jobs that began count: not one aborted in the queue, nor one whose name
        // panicked before it could run.
        if let (Some(timings), Some(began), false, true) = (timings, began, aborted_early, named_ok)
        {
            let waited = submitted_at.map_or(Duration::ZERO, |at| began.duration_since(at));
            let ran = began.elapsed();
            timings.record(waited, ran);
            #[cfg(feature = "metrics")]
            if let Some(exported) = &exported {
                exported.record(waited, ran);
            }
        }
        let status = running.finish(outcome);
        // The job's abort signal goes with it: an idle worker holds nothing of a past job.
        ctx.end_job();
        if let Some(status) = status {
            publish(shared, counters, status).await;
        }
    }
    drop(seated);
    shared.after_leaving();
    tracing::trace!(pool = %shared.identity.name, worker_id, "worker stopped");
}

/// A worker's seat, given up when its task ends however it ends: returned, or dropped by
/// its runtime (then nobody refills the seat: the pool is going away with its runtime).
struct Seated<'a> {
    roster: &'a Roster,
    seat: usize,
}

impl<'a> Seated<'a> {
    fn new(roster: &'a Roster, seat: usize) -> Self {
        Self { roster, seat }
    }
}

impl Drop for Seated<'_> {
    fn drop(&mut self) {
        self.roster.leave(self.seat);
    }
}

/// What an idle worker woke up for.
enum Woke<O> {
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
async fn wait_idle<E: Executor, O: Send + 'static>(shared: &Shared<E, O>, seat: usize) -> Woke<O> {
    let _idling = shared.roster.idling();
    let job = async {
        match shared.queue_rx.recv().await {
            Ok(envelope) => Woke::Job(envelope),
            Err(_) => Woke::Closed,
        }
    };
    if seat == 0 {
        return job.await;
    }
    let unwanted = future::poll_fn(|cx| {
        shared
            .roster
            .poll_unwanted(seat, cx)
            .map(|()| Woke::Unwanted)
    });
    match shared.roster.idle_timeout_of(seat) {
        None => future::or(job, unwanted).await,
        Some(limit) => {
            let expired = async {
                shared.executor.sleep(limit).await;
                Woke::Expired
            };
            future::or(job, future::or(unwanted, expired)).await
        }
    }
}

/// The span a job runs in: a child of the span that was current where it was submitted, so
/// that a request's trace follows its jobs into the pool.
fn job_span<E, O>(shared: &Shared<E, O>, ctx: &JobContext, parent: &Span) -> Span {
    tracing::debug_span!(
        parent: parent,
        "job",
        pool = %shared.identity.name,
        job = ctx.job_id().get(),
        name = %ctx.job_name(),
        worker = ctx.worker_id(),
    )
}

/// Runs the job, catching its panic and enforcing the job timeout.
async fn execute<E: Executor, O: Send + 'static>(
    shared: &Shared<E, O>,
    job: &mut dyn JobProcessor<Output = O>,
    ctx: &JobContext,
    worker_id: usize,
) -> Result<O, JobError> {
    // A hand-written `process` may panic before it returns its future.
    let future = match catch_unwind(AssertUnwindSafe(move || {
        let job = job; // moved in: the closure is `FnOnce`, and may return the borrow
        job.process(ctx)
    })) {
        Ok(future) => future,
        Err(payload) => return Err(JobError::panicked(panic_message(payload.as_ref()))),
    };
    let work = JobFuture::new(shared.identity.id, worker_id, future);
    let caught = match shared.job_timeout {
        None => work.await,
        Some(limit) => {
            let finished = async { Some(work.await) };
            let expired = async {
                shared.executor.sleep(limit).await;
                None
            };
            match future::or(finished, expired).await {
                Some(caught) => caught,
                None => return Err(JobError::timed_out(limit)),
            }
        }
    };
    match caught {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(JobError::from_job(error)),
        Err(payload) => Err(JobError::panicked(panic_message(payload.as_ref()))),
    }
}

/// Puts a status on a full results stream: the worker waits for the reader, and says so in
/// the stats, until there is room or the pool begins to stop.
async fn publish<E, O: Send + 'static>(
    shared: &Shared<E, O>,
    counters: &WorkerCounters,
    status: JobStatus<O>,
) {
    let Some(sink) = &shared.results else { return };
    if let Err(status) = sink.try_publish(status) {
        let _waiting = counters.waiting_for_reader();
        sink.publish_when_room(status).await;
    }
}

/// A job between its start and its outcome. It owns the job, so that the job is dropped
/// before anyone hears of its outcome, on every path: whatever it holds (a permit, a
/// connection) is released when the caller learns it ended. If the worker's task is aborted
/// (a shutdown deadline) while the job runs, the drop reports the job as aborted, so that its
/// handle, the results stream and the stats still hear of it.
struct Running<'a, E, O: Send + 'static> {
    shared: &'a Shared<E, O>,
    counters: &'a WorkerCounters,
    id: JobId,
    name: &'a str,
    /// The job, in the envelope it came in, which no longer holds its reply.
    job: Option<Envelope<O>>,
    reply: Option<Reply<O>>,
}

impl<'a, E, O: Send + 'static> Running<'a, E, O> {
    fn job(&mut self) -> &mut dyn JobProcessor<Output = O> {
        self.job
            .as_mut()
            .expect("the job is taken only when it ends")
            .job()
    }

    /// Drops the job, records the outcome and hands it to the handle; returns the status to
    /// publish, if anyone reads the results stream. Synchronous, so that the common case
    /// builds no future.
    fn finish(mut self, outcome: Result<O, JobError>) -> Option<JobStatus<O>> {
        self.drop_job();
        let sink = self.shared.results.as_ref().filter(|sink| sink.is_open());
        let reply = self.reply.take().filter(|reply| !reply.is_unheard());
        // The stream gets a copy only while the handle waits for the outcome too.
        let copy = match (sink, &reply) {
            (Some(sink), Some(_)) => Some(sink.copied_status(self.id, self.name, &outcome)),
            _ => None,
        };
        // Counted before the handle hears, so that a caller who awaited every handle reads
        // stats that include them.
        self.counters.finished(&outcome);
        let status = match (sink, reply) {
            (_, Some(reply)) => {
                reply.tell(outcome);
                copy
            }
            // Detached, or the handle was dropped: the outcome moves into the stream.
            (Some(_), None) => Some(JobStatus {
                id: self.id,
                name: self.name.to_owned(),
                outcome,
            }),
            (None, None) => None,
        };
        // Disarmed: the drop guard is for aborts, and nothing is left to release.
        std::mem::forget(self);
        status
    }

    /// The job's `Drop` is its own code too: a panic there must not take the worker down.
    fn drop_job(&mut self) {
        let job = self.job.take();
        if catch_unwind(AssertUnwindSafe(|| drop(job))).is_err() {
            tracing::warn!(pool = %self.shared.identity.name, job = %self.id, "a job panicked while being dropped");
        }
    }
}

impl<E, O: Send + 'static> Drop for Running<'_, E, O> {
    fn drop(&mut self) {
        self.drop_job();
        self.counters.aborted();
        let outcome = Err(JobError::ABORTED);
        if let Some(sink) = self.shared.results.as_ref().filter(|sink| sink.is_open()) {
            sink.publish_now(sink.copied_status(self.id, self.name, &outcome));
        }
        if let Some(reply) = self.reply.take() {
            reply.tell(outcome);
        }
    }
}
