//! The one thing a backend provides: how to spawn, sleep and abort on its runtime, and where
//! blocking work runs.

use std::time::Duration;

/// How the pool runs its workers on an async runtime.
///
/// `pool-core` knows no runtime; each backend crate implements this trait once, for a unit
/// struct, and users never call it themselves. It has three jobs, and a check:
///
/// - [`spawn`](Executor::spawn) a worker. The returned [`Task`](Executor::Task) must **detach
///   on drop**: dropping it leaves the task running. tokio's and async-std's `JoinHandle`s do
///   that already; a smol `Task` cancels on drop, so the smol backend wraps it and calls
///   `detach` in `Drop`. The pool relies on this when it is dropped without a shutdown: its
///   workers go on and drain the queue.
/// - [`sleep`](Executor::sleep), for job timeouts and shutdown deadlines: timers belong to the
///   runtime.
/// - [`abort`](Executor::abort) a task that ignores cancellation past a shutdown deadline.
///   The returned future resolves once the task's future has been dropped (so its drop
///   guards have run), or at once if the task had already finished.
/// - [`spawn_blocking`](Executor::spawn_blocking) runs synchronous work where it does not
///   hold up the runtime's async tasks: the runtime's threads for blocking work. The default
///   starts a thread of its own, which is correct on any runtime but costs a thread per call.
/// - [`check_runtime`](Executor::check_runtime) says whether `spawn` would work from here,
///   so that [`start`](crate::WorkerPool::start) can refuse with an error instead of letting
///   the runtime panic halfway through.
///
/// # Examples
///
/// A complete backend for tokio (this is what `pool-tokio` does):
///
/// ```
/// use std::time::Duration;
///
/// use pool_core::{job_fn, Executor, WorkerPool};
///
/// #[derive(Clone, Copy, Debug, Default)]
/// struct Tokio;
///
/// impl Executor for Tokio {
///     type Task = tokio::task::JoinHandle<()>;
///
///     fn spawn<F>(&self, future: F) -> Self::Task
///     where
///         F: Future<Output = ()> + Send + 'static,
///     {
///         tokio::spawn(future)
///     }
///
///     async fn sleep(&self, duration: Duration) {
///         tokio::time::sleep(duration).await
///     }
///
///     async fn abort(&self, task: Self::Task) {
///         task.abort();
///         let _ = task.await; // resolves once the task's future is dropped
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<Tokio, u32>::builder().workers(2).build()?;
/// pool.start()?;
/// let answer = pool.submit(job_fn("answer", |_ctx| async { Ok(42) })).await?;
/// assert_eq!(answer.await?, 42);
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub trait Executor: Send + Sync + 'static {
    /// A handle to a spawned task. Dropping it must detach the task, not cancel it.
    type Task: Send + 'static;

    /// Starts `future` on the runtime and returns its handle.
    fn spawn<F>(&self, future: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static;

    /// Resolves after `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Stops `task`: its future is dropped at its next suspension point. Resolves once it has
    /// been dropped, or at once if the task had already finished.
    fn abort(&self, task: Self::Task) -> impl Future<Output = ()> + Send;

    /// Runs `task` where blocking is allowed (the runtime's blocking threads), detached: it
    /// runs to its end even if nobody waits for it. `task` never panics (the pool catches the
    /// job's panic inside it).
    ///
    /// The default starts a new OS thread; the backends override it with their runtime's
    /// pool of blocking threads.
    ///
    /// # Panics
    ///
    /// The default panics if the OS cannot start a thread.
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>) {
        std::thread::Builder::new()
            .name("pool-blocking".to_owned())
            .spawn(task)
            .expect("the OS starts a thread for a blocking job");
    }

    /// Whether [`spawn`](Executor::spawn) can be called from this thread now. The default
    /// says yes, as it is for runtimes with a global executor (smol, async-std); tokio's says
    /// no outside a runtime.
    ///
    /// # Errors
    ///
    /// [`NoRuntime`], saying what is missing and how to fix it.
    fn check_runtime(&self) -> Result<(), NoRuntime> {
        Ok(())
    }
}

/// An executor cannot spawn from where it was asked to (for tokio: outside a runtime, with no
/// handle given). The message says how to fix it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoRuntime(pub &'static str);
