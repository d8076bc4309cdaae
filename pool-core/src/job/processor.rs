//! What a job is: a named piece of async work.

use std::pin::Pin;

use crate::JobContext;

/// The error a job returns when it fails: any error type, boxed.
///
/// `?` converts most errors into it, and so does `.into()` on a `&str` or `String`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A unit of work the pool runs: a name, and an async `process`.
///
/// **Implement it with `#[async_trait]`** on the `impl` block, as below (the attribute is
/// re-exported by this crate and every backend). Without it, an `async fn process` fails with
/// error E0195, "lifetime parameters or bounds on method `process` do not match the trait
/// declaration": add `#[async_trait]` above the `impl`. For a job that needs no struct, use
/// [`job_fn`](crate::job_fn), or submit a closure or a future directly
/// ([`submit_fn`](crate::WorkerPool::submit_fn), [`spawn`](crate::WorkerPool::spawn)).
///
/// The pool calls [`process`](JobProcessor::process) once per accepted job, on one of its
/// workers, with a [`JobContext`] that says which job and worker this is and carries the
/// pool's cancellation token. A job that watches the token may finish gracefully or stop at
/// once when the pool shuts down: that is its choice. The worker owns the job while it runs,
/// so `process` takes `&mut self` and a job need not be `Sync`: it may hold a connection, a
/// `Box<dyn FnOnce() + Send>` or a `Cell`. Once `process` returns, the job is dropped, before
/// its outcome is told.
///
/// The future `process` returns must be `Send`, since the pool may move it between threads.
/// Do not block the thread in it (no `std::thread::sleep`, no synchronous I/O, no long CPU
/// loop): that starves the runtime's other tasks, and on tokio it also stops the timers of
/// that thread, so job timeouts and the runtime's own sleeps wait for it (the pool's shutdown
/// deadlines do not: they run on a thread of their own). Run synchronous code as a blocking
/// job instead ([`blocking_job_fn`](crate::blocking_job_fn)), or a part of a job with
/// [`JobContext::run_blocking`](crate::JobContext::run_blocking): both run on the runtime's
/// threads for blocking work, and the job still counts against the pool's bound.
///
/// The trait is object safe, so a pool takes `Box<dyn JobProcessor<Output = O>>` as well as
/// concrete types.
///
/// # Examples
///
/// ```
/// use pool_tokio::{async_trait, BoxError, JobContext, JobProcessor};
///
/// struct Resize {
///     width: u32,
///     attempts: u32,
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
///     async fn process(&mut self, ctx: &JobContext) -> Result<u32, BoxError> {
///         self.attempts += 1; // the job is the worker's while it runs
///         if ctx.is_cancelled() {
///             return Err("cancelled before it began".into());
///         }
///         Ok(self.width / 2)
///     }
/// }
/// ```
//
// Declared by hand, as `#[async_trait]` would declare it, so that the rendered signature names
// its parts; an `#[async_trait] impl` matches it exactly.
pub trait JobProcessor: Send + 'static {
    /// What the job produces when it succeeds.
    type Output: Send + 'static;

    /// The job's name, for logs, the [`JobContext`] and the results stream.
    fn name(&self) -> &str;

    /// Runs the job. The pool calls it once per accepted job.
    ///
    /// Write it as `async fn process(&mut self, ctx: &JobContext) -> Result<Self::Output,
    /// BoxError>` in an `#[async_trait]` impl; the signature here is what that becomes: a
    /// boxed, `Send` future that may borrow the job (`'job`) and the context (`'ctx`).
    fn process<'job, 'ctx, 'fut>(
        &'job mut self,
        ctx: &'ctx JobContext,
    ) -> ProcessFuture<'fut, Self::Output>
    where
        'job: 'fut,
        'ctx: 'fut,
        Self: 'fut;
}

/// The future of [`JobProcessor::process`]: boxed and `Send`, as `#[async_trait]` makes it.
pub type ProcessFuture<'fut, O> = Pin<Box<dyn Future<Output = Result<O, BoxError>> + Send + 'fut>>;

// Forwarding, so that a boxed job's future is not boxed a second time.
impl<J: JobProcessor + ?Sized> JobProcessor for Box<J> {
    type Output = J::Output;

    fn name(&self) -> &str {
        (**self).name()
    }

    fn process<'job, 'ctx, 'fut>(
        &'job mut self,
        ctx: &'ctx JobContext,
    ) -> ProcessFuture<'fut, Self::Output>
    where
        'job: 'fut,
        'ctx: 'fut,
        Self: 'fut,
    {
        (**self).process(ctx)
    }
}
