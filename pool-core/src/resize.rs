//! Changing the number of workers of a running pool: `resize`, and an elastic pool's growth.

use std::sync::Arc;

use crate::lock::lock;
use crate::pool::{Lifecycle, Phase, PoolInner};
use crate::worker::work;
use crate::{Executor, ResizeError, WorkerPool};

impl<E: Executor, O: Send + 'static> WorkerPool<E, O> {
    /// Sets how many workers take jobs, from 1 to the pool's
    /// [`max_workers`](crate::WorkerPoolBuilder::max_workers), and returns at once.
    ///
    /// - **Growing** spawns the new workers now (an [elastic](crate::WorkerPoolBuilder::idle_timeout)
    ///   pool only raises its ceiling, and grows into it when jobs wait).
    /// - **Shrinking** retires the workers above the new size: an idle one at once, a busy
    ///   one when its job ends. A running job is never stopped, and from the moment the
    ///   worker learns its seat is gone, it takes no new job; a job it had just taken goes
    ///   back to the end of the queue for another worker (or, if the queue is full or
    ///   closed, it runs it first). [`stats`](Self::stats) shows the new size in `workers`
    ///   at once, and the retiring workers in `live_workers` until they are gone.
    /// - **Before `start`**, it sets the size `start` uses.
    ///
    /// Concurrent resizes are applied one after another; the last one wins. Nothing is lost
    /// or run twice whatever runs alongside: jobs, shutdowns, other resizes.
    ///
    /// # Errors
    ///
    /// Nothing changes on an error. [`ResizeError::Zero`] (stop a pool with a shutdown),
    /// [`ResizeError::AboveMax`], [`ResizeError::ShutDown`] once any shutdown has begun (the
    /// workers left drain or hand back the queue as that shutdown says), and
    /// [`ResizeError::NoRuntime`] if it must spawn workers where the executor cannot.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tokio::{ResizeError, WorkerPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = WorkerPool::<()>::builder().workers(8).build()?;
    /// pool.start()?;
    /// pool.resize(2)?;
    /// assert_eq!(pool.stats().workers, 2);
    /// pool.resize(8)?;
    /// assert_eq!(pool.resize(9), Err(ResizeError::AboveMax { requested: 9, max: 8 }));
    /// assert_eq!(pool.resize(0), Err(ResizeError::Zero));
    /// pool.shutdown().await?;
    /// assert_eq!(pool.resize(4), Err(ResizeError::ShutDown));
    /// # Ok(())
    /// # }
    /// ```
    pub fn resize(&self, workers: usize) -> Result<(), ResizeError> {
        let shared = self.shared();
        let max = shared.roster.max();
        if workers == 0 {
            return Err(ResizeError::Zero);
        }
        if workers > max {
            return Err(ResizeError::AboveMax {
                requested: workers,
                max,
            });
        }
        let mut lifecycle = self.lifecycle();
        match lifecycle.phase {
            Phase::Stopping | Phase::Stopped => return Err(ResizeError::ShutDown),
            Phase::Built => {}
            Phase::Running if workers > shared.roster.size() => shared.executor.check_runtime()?,
            Phase::Running => {}
        }
        let from = shared.roster.size();
        shared.roster.set_size(workers);
        if lifecycle.phase == Phase::Running {
            self.inner().fill_seats(&mut lifecycle);
        }
        tracing::debug!(pool = %self.name(), from, to = workers, "resized");
        Ok(())
    }

    /// Adds workers to an elastic pool if jobs wait with no idle worker to take them: called
    /// by a submitter whose job is queued (or finds the queue full). For a pool that is not
    /// elastic, one load of a field that never changes.
    pub(crate) fn grow_if_jobs_wait(&self) {
        let shared = self.shared();
        if shared.roster.should_grow() && shared.executor.check_runtime().is_ok() {
            self.inner().refill();
        }
    }
}

/// What lets a worker, which holds the pool's state but not the pool, have the pool spawn
/// workers.
pub(crate) trait Refill: Send + Sync {
    /// Fills the free seats the pool wants filled, if it is running.
    fn refill(&self);
}

impl<E: Executor, O: Send + 'static> Refill for PoolInner<E, O> {
    fn refill(&self) {
        let mut lifecycle = lock(&self.lifecycle);
        // A shutdown has begun: the workers alive finish (or hand back) the queue.
        if lifecycle.phase == Phase::Running {
            self.fill_seats(&mut lifecycle);
        }
    }
}

impl<E: Executor, O: Send + 'static> PoolInner<E, O> {
    /// Spawns a worker into every free seat the pool fills at once (all wanted seats, or an
    /// elastic pool's minimum), then, for an elastic pool, one more per queued job while
    /// growth is called for. Called under the lifecycle lock.
    pub(crate) fn fill_seats(&self, lifecycle: &mut Lifecycle<E::Task>) {
        let roster = &self.shared.roster;
        for seat in 0..roster.filled_at_once() {
            if roster.take(seat) {
                self.spawn_worker(lifecycle, seat);
            }
        }
        for _ in 0..self.shared.queue_rx.len() {
            let seat = roster.should_grow().then(|| roster.take_free()).flatten();
            match seat {
                Some(seat) => self.spawn_worker(lifecycle, seat),
                None => break,
            }
        }
    }

    /// Spawns the worker of `seat`, which the caller has taken. The handle of the seat's
    /// previous worker (gone, or leaving without a job) is dropped, which detaches it.
    fn spawn_worker(&self, lifecycle: &mut Lifecycle<E::Task>, seat: usize) {
        let shared = &self.shared;
        // Counted alive before it runs, so that no shutdown misses it.
        let alive = shared.live_workers.enter();
        let task = shared.executor.spawn(work(Arc::clone(shared), seat, alive));
        lifecycle.tasks[seat] = Some(task);
    }
}
