//! `TestJobData`, the sample app's job: it works for a while, and may fail or panic.

use std::time::{Duration, Instant};

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
/// timer, or, if `blocking`, in a synchronous sleep run as blocking work) and logs its start
/// and end. It honours cancellation: asked to stop, it stops at once (a blocking one within
/// a millisecond) and says how far it got.
#[derive(Debug)]
pub struct TestJobData<E> {
    executor: E,
    work: Duration,
    fate: Fate,
    blocking: bool,
}

impl<E> TestJobData<E> {
    /// A job that works for `work`, then meets its `fate`.
    pub fn new(executor: E, work: Duration, fate: Fate, blocking: bool) -> Self {
        Self {
            executor,
            work,
            fate,
            blocking,
        }
    }
}

/// Blocks the thread for `work`, a millisecond at a time, looking at `ctx` in between; false
/// if it was asked to stop first.
fn block_for(work: Duration, ctx: &JobContext) -> bool {
    let until = Instant::now() + work;
    loop {
        if ctx.is_cancelled() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(1)));
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
        let worked = if self.blocking {
            let (work, owned) = (self.work, ctx.clone());
            ctx.run_blocking(move || block_for(work, &owned)).await
        } else {
            ctx.run_until_cancelled(self.executor.sleep(self.work))
                .await
                .is_some()
        };
        if !worked {
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
