//! Spawning, sleeping and aborting on async-std.

use std::time::Duration;

use async_std::task::JoinHandle;
use pool_core::Executor;

/// Runs a pool's workers on async-std's global executor.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct AsyncStdExecutor {}

impl Executor for AsyncStdExecutor {
    /// async-std's handle detaches on drop, as the pool needs.
    type Task = JoinHandle<()>;

    fn spawn<F>(&self, future: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_std::task::spawn(future)
    }

    async fn sleep(&self, duration: Duration) {
        async_std::task::sleep(duration).await;
    }

    async fn abort(&self, task: Self::Task) {
        // Resolves once the task has stopped and its future has been dropped.
        let _ = task.cancel().await;
    }

    /// On async-std's blocking threads (`spawn_blocking`).
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>) {
        // Detached: dropping async-std's `JoinHandle` leaves the task running.
        drop(async_std::task::spawn_blocking(task));
    }
}
