//! `TestJobData`, the sample app's job: it works for a while, and may fail or panic.

use std::time::Duration;

use pool_core::{BoxError, Cancelled, Executor, JobContext, JobProcessor, async_trait};

/// What a job will do, drawn when it is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Work, then succeed.
    Succeed,
    /// Work, then fail.
    Fail,
    /// Work, then panic.
    Panic,
}

/// A simulated job, as in the Go original: it works for `work` (sleeping on the runtime's
/// timer) and logs its start and end. It honours cancellation: asked to stop, it stops at
/// once and says how far it got.
#[derive(Debug)]
pub struct TestJobData<E> {
    executor: E,
    work: Duration,
    fate: Fate,
}

impl<E> TestJobData<E> {
    /// A job that works for `work`, then meets its `fate`.
    pub fn new(executor: E, work: Duration, fate: Fate) -> Self {
        Self {
            executor,
            work,
            fate,
        }
    }
}

#[async_trait]
impl<E: Executor + Clone> JobProcessor for TestJobData<E> {
    type Output = ();

    fn name(&self) -> &str {
        "TestJobData"
    }

    async fn process(&mut self, ctx: &JobContext) -> Result<(), BoxError> {
        tracing::debug!(job = %ctx.job_id(), worker = ctx.worker_id(), work = ?self.work, "job started");
        if ctx
            .run_until_cancelled(self.executor.sleep(self.work))
            .await
            .is_none()
        {
            tracing::debug!(job = %ctx.job_id(), "job cancelled: stopping at once");
            return Err(Cancelled.into());
        }
        match self.fate {
            Fate::Succeed => {
                tracing::debug!(job = %ctx.job_id(), "job done");
                Ok(())
            }
            Fate::Fail => Err(format!("{} failed, as asked", ctx.job_id()).into()),
            Fate::Panic => panic!("{} panicked, as asked", ctx.job_id()),
        }
    }
}
