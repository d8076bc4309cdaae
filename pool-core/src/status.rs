//! The results stream: one status per job, whoever holds its handle.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_lite::Stream;

use crate::lock::lock;
use crate::sink::Overflow;
use crate::{JobError, JobId};

/// One job's outcome on the [results stream](crate::Results): gowp's `JobStatus`,
/// with the job's id and name so that the stream can be read on its own.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JobStatus<O> {
    /// The job's id.
    pub id: JobId,
    /// The job's name.
    pub name: String,
    /// What became of it: the same outcome its handle resolves to.
    pub outcome: Result<O, JobError>,
}

/// The stream of every job's [`JobStatus`], from
/// [`build_with_results`](crate::WorkerPoolBuilder::build_with_results).
///
/// The pool keeps no reader of its own: this one is yours. Each job's status goes to one
/// reader; clones share the stream. It ends (`None`) once the pool has stopped and every
/// status has been read.
///
/// - **Nobody holds a reader**: every reader has been dropped, so the stream is closed and
///   the pool makes no statuses at all. It never stalls for it.
/// - **A reader that does not keep up** slows the pool down while it runs: when the stream is
///   full, a worker that finished a job waits for room before it takes the next one
///   (back-pressure, not loss), and [`stats`](crate::WorkerPool::stats) counts it in
///   `waiting_for_reader`. Read it from a task of its own.
/// - **No shutdown waits for a reader.** From the moment the pool begins to stop (any
///   shutdown, its token cancelled, or the pool dropped), statuses that find the stream full
///   are kept aside, and this reader yields them after the ones in the stream. There are never
///   more of them than the jobs that were queued or running at that moment.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use pool_core::{job_fn, Executor, WorkerPool};
///
/// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
/// let (pool, mut results) = WorkerPool::<E, u32>::builder().build_with_results(64)?;
/// pool.start()?;
/// pool.submit_detached(job_fn("two", |_ctx| async { Ok(2) })).await?;
/// pool.shutdown().await?;
/// while let Some(status) = results.next().await {
///     println!("{} {}: {:?}", status.id, status.name, status.outcome);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Results<O> {
    // Boxed because the receiver is `!Unpin` and `Stream` is polled through `Pin<&mut Self>`.
    receiver: Pin<Box<async_channel::Receiver<JobStatus<O>>>>,
    overflow: Overflow<O>,
}

impl<O> Results<O> {
    pub(crate) fn new(
        receiver: async_channel::Receiver<JobStatus<O>>,
        overflow: Overflow<O>,
    ) -> Self {
        Self {
            receiver: Box::pin(receiver),
            overflow,
        }
    }

    /// The next status, or `None` once the pool has stopped and the stream is empty.
    pub async fn recv(&self) -> Option<JobStatus<O>> {
        match self.receiver.recv().await {
            Ok(status) => Some(status),
            Err(_) => self.take_overflow(),
        }
    }

    /// Statuses waiting to be read.
    pub fn len(&self) -> usize {
        self.receiver.len() + lock(&self.overflow).len()
    }

    /// Whether no status is waiting to be read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn take_overflow(&self) -> Option<JobStatus<O>> {
        lock(&self.overflow).pop_front()
    }
}

impl<O> Clone for Results<O> {
    fn clone(&self) -> Self {
        Self {
            receiver: Box::pin((*self.receiver).clone()),
            overflow: Arc::clone(&self.overflow),
        }
    }
}

impl<O> Stream for Results<O> {
    type Item = JobStatus<O>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.receiver.as_mut().poll_next(cx) {
            Poll::Ready(None) => Poll::Ready(self.take_overflow()),
            other => other,
        }
    }
}

impl<O> fmt::Debug for Results<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Results").field("len", &self.len()).finish()
    }
}
