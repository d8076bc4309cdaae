//! A refused job: one error per way of submitting, each handing the job back.

use std::fmt;

/// [`submit`](crate::WorkerPool::submit) (or [`submit_detached`](crate::WorkerPool::submit_detached))
/// refused a job. The job is handed back, untouched.
///
/// # Examples
///
/// ```
/// use pool_tokio::{job_fn, SubmitError, WorkerPool};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<()>::builder().build()?;
/// pool.shutdown().await?;
/// let job = job_fn("late", |_ctx| async { Ok(()) });
/// let Err(SubmitError::Closed(job)) = pool.submit(job).await else { unreachable!() };
/// // `job` is ours again: queue it elsewhere, or run it inline.
/// # let _ = job;
/// # Ok(())
/// # }
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SubmitError<J> {
    /// The pool no longer accepts jobs: it was shut down, its token was cancelled, or it
    /// reached [`max_jobs`](crate::WorkerPoolBuilder::max_jobs).
    Closed(J),
    /// The caller is one of this pool's own jobs, the queue is full, and every worker of the
    /// pool is a job waiting likewise: only they could make room, so waiting would never end.
    /// Run the job inline, hand it to another pool, or use
    /// [`try_submit`](crate::WorkerPool::try_submit), which never waits.
    WouldDeadlock(J),
}

impl<J> SubmitError<J> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> J {
        match self {
            Self::Closed(job) | Self::WouldDeadlock(job) => job,
        }
    }

    /// Whether the pool was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }

    /// Whether waiting would have deadlocked the pool.
    pub fn is_would_deadlock(&self) -> bool {
        matches!(self, Self::WouldDeadlock(_))
    }

    /// The same refusal without the job (which is dropped): a `SubmitError<()>` is `Send` and
    /// `Sync` whatever the job was, so `?` converts it into a [`BoxError`](crate::BoxError)
    /// even for a job that is not `Sync`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use pool_tokio::{BoxError, JobContext, JobProcessor, WorkerPool, async_trait};
    ///
    /// /// Not `Sync`: a `SubmitError<Tally>` is not, either.
    /// struct Tally(Cell<u32>);
    ///
    /// #[async_trait]
    /// impl JobProcessor for Tally {
    ///     type Output = u32;
    ///     fn name(&self) -> &str {
    ///         "tally"
    ///     }
    ///     async fn process(&mut self, _ctx: &JobContext) -> Result<u32, BoxError> {
    ///         self.0.set(self.0.get() + 1);
    ///         Ok(self.0.get())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), BoxError> {
    /// let pool = WorkerPool::<u32>::builder().build()?;
    /// pool.start()?;
    /// let handle = pool
    ///     .submit(Tally(Cell::new(0)))
    ///     .await
    ///     .map_err(|refused| refused.without_job())?;
    /// assert_eq!(handle.await?, 1);
    /// pool.shutdown().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn without_job(self) -> SubmitError<()> {
        self.map(drop)
    }

    /// The same refusal, with the job turned into something else (the pool's own wrappers
    /// hand back what the caller gave).
    pub(crate) fn map<T>(self, f: impl FnOnce(J) -> T) -> SubmitError<T> {
        match self {
            Self::Closed(job) => SubmitError::Closed(f(job)),
            Self::WouldDeadlock(job) => SubmitError::WouldDeadlock(f(job)),
        }
    }
}

impl<J> fmt::Debug for SubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed(_) => f.write_str("Closed(..)"),
            Self::WouldDeadlock(_) => f.write_str("WouldDeadlock(..)"),
        }
    }
}

impl<J> fmt::Display for SubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed(_) => f.write_str("submitting into a closed pool"),
            Self::WouldDeadlock(_) => f.write_str(
                "a job submitting into its own full pool, whose every worker waits likewise, would deadlock",
            ),
        }
    }
}

impl<J> std::error::Error for SubmitError<J> {}

/// [`try_submit`](crate::WorkerPool::try_submit) failed; the job is handed back, untouched.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySubmitError<J> {
    /// The queue is full: try again later, or use [`submit`](crate::WorkerPool::submit),
    /// which waits for room.
    Full(J),
    /// The pool no longer accepts jobs.
    Closed(J),
}

impl<J> TrySubmitError<J> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> J {
        match self {
            Self::Full(job) | Self::Closed(job) => job,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// The same refusal without the job (which is dropped), as
    /// [`SubmitError::without_job`]: `Send` and `Sync` whatever the job was.
    pub fn without_job(self) -> TrySubmitError<()> {
        match self {
            Self::Full(_) => TrySubmitError::Full(()),
            Self::Closed(_) => TrySubmitError::Closed(()),
        }
    }

    /// Whether the pool was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<J> fmt::Debug for TrySubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<J> fmt::Display for TrySubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("submitting into a full pool queue"),
            Self::Closed(_) => f.write_str("submitting into a closed pool"),
        }
    }
}

impl<J> std::error::Error for TrySubmitError<J> {}
