//! A worker: takes jobs from the queue one at a time and runs each to an outcome.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use futures_lite::FutureExt;
use futures_lite::future;

use crate::counters::WorkerCounters;
use crate::envelope::{Envelope, ErasedJob, Reply};
use crate::panic_message::panic_message;
use crate::shared::{Shared, UNNAMED};
use crate::sink::ResultsSink;
use crate::wait_group::Alive;
use crate::{Executor, JobContext, JobError, JobId, JobStatus};

/// How many jobs a worker takes before it lets the runtime run other tasks.
pub(crate) const JOBS_PER_YIELD: u32 = 64;

/// A worker's whole life. It ends when the queue is closed and empty; once the pool's token
/// is cancelled, it hands back what it takes instead of running it.
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
    let mut ctx = JobContext::for_worker(
        Arc::clone(&shared.identity),
        shared.token.clone(),
        worker_id,
    );
    let mut since_yield = 0_u32;
    while let Ok(envelope) = shared.queue_rx.recv().await {
        // A receive from a non-empty queue never suspends, and quick jobs may not either: a
        // worker with a deep queue would keep its thread for the whole queue, starving the
        // runtime's other tasks (tokio's cooperative budget does not see this channel).
        since_yield += 1;
        if since_yield == JOBS_PER_YIELD {
            since_yield = 0;
            future::yield_now().await;
        }
        if shared.token.is_cancelled() {
            shared.hand_back(envelope).await;
            continue;
        }
        let Envelope { id, job, reply } = envelope;
        counters.started();
        // `name()` is the job's own code too: a panic there is contained like one in
        // `process`, and the job is not run.
        let named = catch_unwind(AssertUnwindSafe(|| ctx.begin(id, job.name())));
        if named.is_err() {
            ctx.begin(id, UNNAMED);
        }
        let running = Running {
            shared,
            counters,
            id,
            name: ctx.job_name(),
            reply,
        };
        let outcome = match named {
            Ok(()) => execute(shared, job.as_ref(), &ctx).await,
            Err(payload) => Err(JobError::Panicked(format!(
                "name() panicked: {}",
                panic_message(payload.as_ref())
            ))),
        };
        // The job is dropped before its outcome is told, so that whatever it holds (a permit,
        // a connection) is released when the caller hears of it. Its `Drop` is its own code
        // too: a panic there must not take the worker down.
        if catch_unwind(AssertUnwindSafe(|| drop(job))).is_err() {
            tracing::warn!(pool = %shared.identity.name, job = %id, "a job panicked while being dropped");
        }
        // Publishing waits for room in the results stream; only then is there anything to
        // await.
        if let Some((sink, status)) = running.finish(outcome) {
            sink.publish(status).await;
        }
    }
    tracing::trace!(pool = %shared.identity.name, worker_id, "worker stopped");
}

/// Runs the job, catching its panic and enforcing the job timeout.
async fn execute<E: Executor, O: Send + 'static>(
    shared: &Shared<E, O>,
    job: &dyn ErasedJob<O>,
    ctx: &JobContext,
) -> Result<O, JobError> {
    let work = AssertUnwindSafe(job.process(ctx)).catch_unwind();
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
                None => return Err(JobError::TimedOut(limit)),
            }
        }
    };
    match caught {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(JobError::Failed(error.into())),
        Err(payload) => Err(JobError::Panicked(panic_message(payload.as_ref()))),
    }
}

/// A job between its start and its outcome. If the worker's task is aborted (a shutdown
/// deadline) while the job runs, the drop reports the job as aborted, so that its handle, the
/// results stream and the stats still hear of it.
struct Running<'a, E, O> {
    shared: &'a Shared<E, O>,
    counters: &'a WorkerCounters,
    id: JobId,
    name: &'a str,
    reply: Option<Reply<O>>,
}

impl<'a, E, O: Send + 'static> Running<'a, E, O> {
    /// Records the outcome and hands it to the handle; returns the status to publish, if the
    /// results stream is on. Synchronous, so that the common case builds no future.
    fn finish(
        mut self,
        outcome: Result<O, JobError>,
    ) -> Option<(&'a ResultsSink<O>, JobStatus<O>)> {
        // Counted before the handle hears, so that a caller who awaited every handle reads
        // stats that include them.
        self.counters.finished(&outcome);
        let status = self
            .shared
            .results
            .as_ref()
            .map(|sink| (sink, sink.status(self.id, self.name, &outcome)));
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(outcome);
        }
        // Disarmed: the drop guard is for aborts, and nothing is left to release.
        std::mem::forget(self);
        status
    }
}

impl<E, O> Drop for Running<'_, E, O> {
    fn drop(&mut self) {
        self.counters.aborted();
        let outcome = Err(JobError::Aborted);
        if let Some(sink) = &self.shared.results {
            sink.publish_now(sink.status(self.id, self.name, &outcome));
        }
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(outcome);
        }
    }
}
