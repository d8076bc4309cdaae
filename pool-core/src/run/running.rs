//! A job between its start and its outcome: whatever happens to its worker, the job is
//! dropped first and its outcome then reaches its handle, the results stream and the stats.

use crate::observe::counters::WorkerCounters;
use crate::pool::state::PoolState;
use crate::submit::envelope::Envelope;
use crate::submit::reply::Reply;
use crate::{Executor, JobError, JobId, JobProcessor, JobStatus};

/// A job between its start and its outcome. It owns the job, so that the job is dropped
/// before anyone hears of its outcome, on every path: whatever it holds (a permit, a
/// connection) is released when the caller learns it ended. If the worker's task is aborted
/// (a shutdown deadline) while the job runs, the drop reports the job as aborted, so that its
/// handle, the results stream and the stats still hear of it.
pub(crate) struct Running<'a, E: Executor, O: Send + 'static> {
    pub(crate) state: &'a PoolState<E, O>,
    pub(crate) counters: &'a WorkerCounters,
    pub(crate) id: JobId,
    pub(crate) name: &'a str,
    /// The job, in the envelope it came in, which no longer holds its reply.
    pub(crate) job: Option<Envelope<O>>,
    pub(crate) reply: Option<Reply<O>>,
}

impl<'a, E: Executor, O: Send + 'static> Running<'a, E, O> {
    pub(crate) fn job(&mut self) -> &mut dyn JobProcessor<Output = O> {
        self.job
            .as_mut()
            .expect("the job is taken only when it ends")
            .job()
    }

    /// Drops the job, records the outcome and hands it to the handle; returns the status to
    /// publish, if anyone reads the results stream. Synchronous, so that the common case
    /// builds no future.
    #[inline]
    pub(crate) fn finish(mut self, outcome: Result<O, JobError>) -> Option<JobStatus<O>> {
        self.drop_job();
        let sink = self.state.results.as_ref().filter(|sink| sink.is_open());
        let reply = self.reply.take().filter(|reply| !reply.is_closed());
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
                reply.send(self.id, outcome);
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
    #[inline]
    fn drop_job(&mut self) {
        let Some(job) = self.job.take() else { return };
        if job.drop_contained().is_err() {
            tracing::warn!(pool = %self.state.identity.name, job = %self.id, "a job panicked while being dropped");
        }
    }
}

impl<E: Executor, O: Send + 'static> Drop for Running<'_, E, O> {
    fn drop(&mut self) {
        self.drop_job();
        self.counters.aborted();
        let outcome = Err(JobError::ABORTED);
        if let Some(sink) = self.state.results.as_ref().filter(|sink| sink.is_open()) {
            sink.publish_now(sink.copied_status(self.id, self.name, &outcome));
        }
        if let Some(reply) = self.reply.take() {
            reply.send(self.id, outcome);
        }
    }
}
