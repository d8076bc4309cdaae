//! Running one job's `process`: its panic caught, the job timeout enforced.

use futures_lite::future;

use crate::pool::state::PoolState;
use crate::run::job_future::JobFuture;
use crate::sync::panic::contain;
use crate::{Executor, JobContext, JobError, JobProcessor};

/// Runs the job, catching its panic and enforcing the job timeout.
pub(crate) async fn execute<E: Executor, O: Send + 'static>(
    state: &PoolState<E, O>,
    job: &mut dyn JobProcessor<Output = O>,
    ctx: &JobContext,
    worker_id: usize,
) -> Result<O, JobError> {
    // A hand-written `process` may panic before it returns its future.
    let future = match contain(move || {
        let job = job; // moved in: the closure is `FnOnce`, and may return the borrow
        job.process(ctx)
    }) {
        Ok(future) => future,
        Err(message) => return Err(JobError::panicked(message)),
    };
    let work = JobFuture::new(state.identity.id, worker_id, future);
    let caught = match state.job_timeout {
        None => work.await,
        Some(limit) => {
            let finished = async { Some(work.await) };
            let expired = async {
                state.executor.sleep(limit).await;
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
        Err(message) => Err(JobError::panicked(message)),
    }
}
