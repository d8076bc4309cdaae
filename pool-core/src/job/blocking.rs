//! Blocking jobs: synchronous code (CPU work, a blocking client) run on the runtime's threads
//! for blocking work, so that it never holds up the async tasks, the pool's workers and
//! timers among them.

use std::borrow::Cow;
use std::fmt;

use crate::job::named_once::NamedOnce;
use crate::{BoxError, JobContext, JobProcessor, ProcessFuture};

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
#[must_use = "a job does nothing until it is submitted"]
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
