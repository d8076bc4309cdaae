//! Changing the number of workers of a running pool: `resize`, and an elastic pool's growth.

use crate::pool::lifecycle::Phase;
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
        let state = self.state();
        let max = state.roster.max();
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
            Phase::Running if workers > state.roster.size() => state.executor.check_runtime()?,
            Phase::Running => {}
        }
        let from = state.roster.size();
        state.roster.set_size(workers);
        if lifecycle.phase == Phase::Running {
            state.fill_seats(&mut lifecycle);
        }
        tracing::debug!(pool = %self.name(), from, to = workers, "resized");
        Ok(())
    }
}
