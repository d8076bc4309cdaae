//! Spawning, sleeping and aborting on smol.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use pool_core::Executor;

/// Runs a pool's workers on smol's global executor, or on one of your own.
///
/// # Examples
///
/// On your own executor, run by two threads of your own:
///
/// ```
/// use std::sync::Arc;
///
/// use pool_smol::{job_fn, SmolExecutor, WorkerPool};
///
/// let executor = Arc::new(smol::Executor::new());
/// let (stop, stopped) = smol::channel::unbounded::<()>();
/// for _ in 0..2 {
///     let (executor, stopped) = (Arc::clone(&executor), stopped.clone());
///     std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())));
/// }
///
/// let pool = WorkerPool::<u32>::with_executor(SmolExecutor::on(executor)).workers(4).build()?;
/// pool.start()?;
/// smol::block_on(async {
///     let handle = pool.submit(job_fn("one", |_ctx| async { Ok(1) })).await?;
///     assert_eq!(handle.await?, 1);
///     pool.shutdown().await?;
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// drop(stop);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct SmolExecutor {
    executor: Option<Arc<smol::Executor<'static>>>,
}

impl SmolExecutor {
    /// Spawns on `executor`, which you run (`executor.run(..)`) on threads of your own.
    pub fn on(executor: Arc<smol::Executor<'static>>) -> Self {
        Self {
            executor: Some(executor),
        }
    }
}

impl fmt::Debug for SmolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = if self.executor.is_some() {
            "own"
        } else {
            "global"
        };
        f.debug_struct("SmolExecutor")
            .field("executor", &on)
            .finish()
    }
}

/// A worker's task. A smol `Task` cancels its task when dropped; the pool needs handles that
/// detach instead (a pool dropped without a shutdown lets its workers finish the queue), so
/// this one detaches in `Drop` and cancels only through [`Executor::abort`].
#[derive(Debug)]
#[doc(hidden)]
pub struct SmolTask(Option<smol::Task<()>>);

impl Drop for SmolTask {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

impl Executor for SmolExecutor {
    type Task = SmolTask;

    fn spawn<F>(&self, future: F) -> SmolTask
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let task = match &self.executor {
            Some(executor) => executor.spawn(future),
            None => smol::spawn(future),
        };
        SmolTask(Some(task))
    }

    async fn sleep(&self, duration: Duration) {
        smol::Timer::after(duration).await;
    }

    async fn abort(&self, mut task: SmolTask) {
        if let Some(task) = task.0.take() {
            // Resolves once the task has stopped and its future has been dropped.
            let _ = task.cancel().await;
        }
    }

    /// On smol's blocking threads (`smol::unblock`, the `blocking` crate's pool).
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>) {
        // Detached: an `unblock` task is cancelled when dropped.
        smol::unblock(task).detach();
    }
}
