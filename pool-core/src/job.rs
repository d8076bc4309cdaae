//! What a job is: a named piece of async work.

use std::fmt;

use async_trait::async_trait;

use crate::JobContext;

/// The error a job returns when it fails: any error type, boxed.
///
/// `?` converts most errors into it, and so does `.into()` on a `&str` or `String`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A unit of work the pool runs: a name, and an async `process`.
///
/// The pool calls [`process`](JobProcessor::process) once per accepted job, on one of its
/// workers, with a [`JobContext`] that says which job and worker this is and carries the
/// pool's cancellation token. A job that watches the token may finish gracefully or stop at
/// once when the pool shuts down: that is its choice.
///
/// The trait is object safe (through [`async_trait`](macro@crate::async_trait)), so a pool can take
/// `Box<dyn JobProcessor<Output = O>>` as well as concrete types. For small jobs that need no
/// struct, see [`job_fn`](crate::job_fn).
///
/// # Examples
///
/// ```
/// use pool_core::{async_trait, BoxError, JobContext, JobProcessor};
///
/// struct Resize {
///     width: u32,
/// }
///
/// #[async_trait]
/// impl JobProcessor for Resize {
///     type Output = u32;
///
///     fn name(&self) -> &str {
///         "resize"
///     }
///
///     async fn process(&self, ctx: &JobContext) -> Result<u32, BoxError> {
///         if ctx.is_cancelled() {
///             return Err("cancelled before it began".into());
///         }
///         Ok(self.width / 2)
///     }
/// }
/// ```
#[async_trait]
pub trait JobProcessor: Send + Sync + 'static {
    /// What the job produces when it succeeds.
    type Output: Send + 'static;

    /// The job's name, for logs, the [`JobContext`] and the results stream.
    fn name(&self) -> &str;

    /// Runs the job. The pool calls it at most once per submission.
    async fn process(&self, ctx: &JobContext) -> Result<Self::Output, BoxError>;
}

// Forwarding by hand, not through `#[async_trait]`, so that a boxed job's future is not boxed
// a second time.
impl<J: JobProcessor + ?Sized> JobProcessor for Box<J> {
    type Output = J::Output;

    fn name(&self) -> &str {
        (**self).name()
    }

    fn process<'job, 'ctx, 'fut>(
        &'job self,
        ctx: &'ctx JobContext,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Self::Output, BoxError>> + Send + 'fut>>
    where
        'job: 'fut,
        'ctx: 'fut,
        Self: 'fut,
    {
        (**self).process(ctx)
    }
}

/// A job's id: unique within its pool, and increasing in the order jobs were admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub(crate) u64);

impl JobId {
    /// The id as a number.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::{job_fn, Executor, WorkerPool};
    ///
    /// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<E>::builder().workers(1).build()?;
    /// let handle = pool.try_submit(job_fn("first", |_ctx| async { Ok(()) }))?;
    /// assert_eq!(handle.id().get(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job-{}", self.0)
    }
}
