//! Spawning, sleeping and aborting on tokio.

use std::time::Duration;

use pool_core::Executor;
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
        tokio::time::sleep(duration).await;
    }

    async fn abort(&self, task: Self::Task) {
        task.abort();
        // Resolves once the task's future has been dropped, or at once if it had finished.
        let _ = task.await;
    }
}
