//! Spawning, sleeping and aborting on tokio.

use std::time::Duration;

use pool_core::{Executor, NoRuntime};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// Runs a pool's workers on tokio: on the runtime the pool is started from, or on the one
/// given to [`with_handle`](TokioExecutor::with_handle).
///
/// # Examples
///
/// Starting a pool from outside the runtime, through a handle:
///
/// ```
/// use pool_tokio::{TokioExecutor, WorkerPool};
///
/// let runtime = tokio::runtime::Runtime::new()?;
/// let pool = WorkerPool::<()>::with_executor(TokioExecutor::with_handle(runtime.handle().clone()))
///     .workers(2)
///     .build()?;
/// pool.start()?;
/// runtime.block_on(pool.shutdown())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TokioExecutor {
    handle: Option<Handle>,
}

impl TokioExecutor {
    /// An executor that spawns on the runtime behind `handle`, wherever it is called from.
    pub fn with_handle(handle: Handle) -> Self {
        Self {
            handle: Some(handle),
        }
    }
}

impl Executor for TokioExecutor {
    /// tokio's handle detaches on drop, as the pool needs.
    type Task = JoinHandle<()>;

    fn spawn<F>(&self, future: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match &self.handle {
            Some(handle) => handle.spawn(future),
            None => tokio::spawn(future),
        }
    }

    async fn sleep(&self, duration: Duration) {
        // On the executor's runtime, so that a pool given a handle can be shut down from
        // outside it.
        let sleep = match &self.handle {
            Some(handle) => {
                let _runtime = handle.enter();
                tokio::time::sleep(duration)
            }
            None => tokio::time::sleep(duration),
        };
        sleep.await;
    }

    async fn abort(&self, task: Self::Task) {
        task.abort();
        // Resolves once the task's future has been dropped, or at once if it had finished.
        let _ = task.await;
    }

    /// On tokio's blocking threads (`spawn_blocking`), not its workers.
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>) {
        // Detached: dropping the `JoinHandle` leaves the task running.
        match &self.handle {
            Some(handle) => drop(handle.spawn_blocking(task)),
            None => match Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(task)),
                // A context kept past its job, used outside any runtime: a thread of its own
                // rather than tokio's panic.
                Err(_) => drop(std::thread::spawn(task)),
            },
        }
    }

    fn check_runtime(&self) -> Result<(), NoRuntime> {
        if self.handle.is_some() || Handle::try_current().is_ok() {
            Ok(())
        } else {
            Err(NoRuntime(
                "there is no tokio runtime here: call start() inside the runtime \
                 (within #[tokio::main], block_on or a task), or build the pool with \
                 TokioExecutor::with_handle",
            ))
        }
    }
}
