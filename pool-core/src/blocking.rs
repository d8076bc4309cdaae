//! Blocking work: synchronous code (CPU work, a blocking client) run on the runtime's threads
//! for blocking work, so that it never holds up the async tasks, the pool's workers and
//! timers among them.

use std::borrow::Cow;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Weak;

use crate::named_once::NamedOnce;
use crate::shared::Shared;
use crate::{BoxError, Executor, JobContext, JobProcessor, ProcessFuture};

/// Where a pool runs blocking work: its executor's [`spawn_blocking`](Executor::spawn_blocking),
/// with the executor's type forgotten, so that a [`JobContext`] can reach it.
pub(crate) trait BlockingRunner: Send + Sync {
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>);
}

impl<E: Executor, O: Send + 'static> BlockingRunner for Shared<E, O> {
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>) {
        self.executor.spawn_blocking(task);
    }
}

/// Runs `f` through `runner` (or on a thread of its own, if the pool is gone: a context kept
/// past its pool) and waits for its value. A panic in `f` resumes in the caller, so that in a
/// job it is reported as the job's panic.
pub(crate) async fn run_blocking<T, F>(runner: Option<&Weak<dyn BlockingRunner>>, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tell, told) = futures_channel::oneshot::channel();
    let task: Box<dyn FnOnce() + Send> = Box::new(move || {
        // Given up on while it waited for a thread (a job timed out or aborted): it does not
        // start at all.
        if tell.is_canceled() {
            return;
        }
        // Nobody may be waiting any more (a timed-out job): the value is then dropped.
        let _ = tell.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match runner.and_then(Weak::upgrade) {
        Some(runner) => runner.spawn_blocking(task),
        None => {
            std::thread::spawn(task);
        }
    }
    match told.await {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("the runtime dropped a blocking task before it ran"),
    }
}

/// Makes a job that runs synchronous code: `f` runs on the runtime's threads for blocking
/// work (tokio's `spawn_blocking`, smol's `unblock`, async-std's `spawn_blocking`), while its
/// worker waits for it. So a blocking job counts against the pool's bound like any other
/// job, and has the same outcomes, stats, hand-back and shutdown modes.
///
/// What a thread cannot do is stop halfway: when a job timeout or a shutdown deadline
/// expires, the job's outcome is `TimedOut` or `Aborted` at once and its worker moves on, but
/// an `f` that has begun runs on until it returns (its value is then dropped; an `f` still
/// waiting for a thread never begins). So more threads than workers may be running job code:
/// one more for each such job, for as long as its `f` runs, with no bound but the runtime's
/// blocking threads. And what `f` captured is dropped when `f` returns, which may be after the
/// job's handle has resolved (for async jobs, the job is always dropped first). A long `f`
/// should look at [`ctx.is_cancelled()`](JobContext::is_cancelled) now and then, and return
/// early.
///
/// Blocking inside an *async* job instead (a synchronous call in `process`) holds up one of
/// the runtime's threads; on tokio it also stops that thread's timers.
///
/// # Examples
///
/// ```
/// use pool_tokio::{blocking_job_fn, WorkerPool};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<u64>::builder().workers(2).build()?;
/// pool.start()?;
/// let handle = pool
///     .submit(blocking_job_fn("sum", |ctx| {
///         let mut total = 0_u64;
///         for n in 0..1_000_000 {
///             if n % 100_000 == 0 && ctx.is_cancelled() {
///                 return Err(pool_tokio::Cancelled.into());
///             }
///             total += n;
///         }
///         Ok(total)
///     }))
///     .await?;
/// assert_eq!(handle.await?, 499_999_500_000);
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub fn blocking_job_fn<F, O>(name: impl Into<Cow<'static, str>>, f: F) -> BlockingJob<F>
where
    F: FnOnce(JobContext) -> Result<O, BoxError> + Send + 'static,
    O: Send + 'static,
{
    BlockingJob {
        closure: NamedOnce::new(name, f),
    }
}

/// A job made by [`blocking_job_fn`].
pub struct BlockingJob<F> {
    closure: NamedOnce<F>,
}

impl<F> BlockingJob<F> {
    /// The closure, if the job has not run.
    pub fn into_inner(self) -> Option<F> {
        self.closure.into_inner()
    }
}

impl<F> fmt::Debug for BlockingJob<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.closure.debug("BlockingJob", f)
    }
}

impl<F, O> JobProcessor for BlockingJob<F>
where
    F: FnOnce(JobContext) -> Result<O, BoxError> + Send + 'static,
    O: Send + 'static,
{
    type Output = O;

    fn name(&self) -> &str {
        self.closure.name()
    }

    fn process<'job, 'ctx, 'fut>(&'job mut self, ctx: &'ctx JobContext) -> ProcessFuture<'fut, O>
    where
        'job: 'fut,
        'ctx: 'fut,
        Self: 'fut,
    {
        let f = self.closure.take();
        Box::pin(async move {
            let Some(f) = f else {
                return Err("a blocking job runs once, and this one already ran".into());
            };
            let owned = ctx.clone();
            ctx.run_blocking(move || f(owned)).await
        })
    }
}
