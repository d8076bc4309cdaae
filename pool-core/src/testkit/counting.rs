//! An executor that counts the tasks a pool spawns, and how many are still alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use event_listener::Event;

use crate::Executor;

/// Wraps a backend's executor and counts its tasks: to check that a pool spawns its workers
/// and nothing per job, and that none of its tasks outlives its shutdown.
#[derive(Clone, Debug)]
pub struct CountingExecutor<E> {
    inner: E,
    tally: Arc<Tally>,
}

#[derive(Debug, Default)]
struct Tally {
    spawned: AtomicUsize,
    live: AtomicUsize,
    polls: AtomicUsize,
    none_live: Event,
}

/// One live task; counts itself out when its future is dropped (finished or aborted).
struct Live(Arc<Tally>);

impl Drop for Live {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.none_live.notify(usize::MAX);
        }
    }
}

impl<E> CountingExecutor<E> {
    pub fn new(inner: E) -> Self {
        Self {
            inner,
            tally: Arc::default(),
        }
    }

    /// Tasks spawned so far.
    pub fn spawned(&self) -> usize {
        self.tally.spawned.load(Ordering::Acquire)
    }

    /// Times the runtime has polled the spawned tasks: each return to the runtime (a wait, or
    /// a yield) costs one more.
    pub fn polls(&self) -> usize {
        self.tally.polls.load(Ordering::Acquire)
    }

    /// Tasks whose future has not been dropped yet.
    pub fn live(&self) -> usize {
        self.tally.live.load(Ordering::Acquire)
    }

    /// Resolves when no spawned task is alive.
    pub async fn all_finished(&self) {
        loop {
            if self.live() == 0 {
                return;
            }
            let listener = self.tally.none_live.listen();
            if self.live() == 0 {
                return;
            }
            listener.await;
        }
    }
}

impl<E: Executor> Executor for CountingExecutor<E> {
    type Task = E::Task;

    fn spawn<F>(&self, future: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tally.spawned.fetch_add(1, Ordering::AcqRel);
        self.tally.live.fetch_add(1, Ordering::AcqRel);
        let live = Live(Arc::clone(&self.tally));
        let tally = Arc::clone(&self.tally);
        let mut future = Box::pin(future);
        self.inner.spawn(async move {
            let _live = live;
            std::future::poll_fn(|cx| {
                tally.polls.fetch_add(1, Ordering::AcqRel);
                future.as_mut().poll(cx)
            })
            .await;
        })
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.inner.sleep(duration)
    }

    fn abort(&self, task: Self::Task) -> impl Future<Output = ()> + Send {
        self.inner.abort(task)
    }

    fn check_runtime(&self) -> Result<(), crate::NoRuntime> {
        self.inner.check_runtime()
    }
}
