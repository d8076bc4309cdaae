//! The results stream: one status per job, whoever holds its handle.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::Stream;

use crate::{JobError, JobId};

/// One job's outcome on the [results stream](crate::WorkerPool::results): gowp's `JobStatus`,
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

/// The stream of every job's [`JobStatus`], from [`WorkerPool::results`](crate::WorkerPool::results).
///
/// The stream is bounded ([`results`](crate::WorkerPoolBuilder::results) sets its capacity):
/// when it is full, workers wait for the reader, which is back-pressure, not loss. Read it
/// from a task of its own while the pool runs. It ends once the pool has shut down and every
/// status has been read. Clones share one stream: each status goes to one reader.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use pool_core::{job_fn, Executor, WorkerPool};
///
/// # async fn example<E: Executor + Default>() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = WorkerPool::<E, u32>::builder().results(64).build()?;
/// let mut results = pool.results().expect("enabled by the builder");
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
}

impl<O> Results<O> {
    pub(crate) fn new(receiver: async_channel::Receiver<JobStatus<O>>) -> Self {
        Self {
            receiver: Box::pin(receiver),
        }
    }

    /// The next status, or `None` once the pool has stopped and the stream is empty.
    pub async fn recv(&self) -> Option<JobStatus<O>> {
        self.receiver.recv().await.ok()
    }

    /// Statuses waiting to be read.
    pub fn len(&self) -> usize {
        self.receiver.len()
    }

    /// Whether no status is waiting to be read.
    pub fn is_empty(&self) -> bool {
        self.receiver.is_empty()
    }
}

impl<O> Clone for Results<O> {
    fn clone(&self) -> Self {
        Self {
            receiver: Box::pin((*self.receiver).clone()),
        }
    }
}

impl<O> Stream for Results<O> {
    type Item = JobStatus<O>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.as_mut().poll_next(cx)
    }
}

impl<O> fmt::Debug for Results<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Results").field("len", &self.len()).finish()
    }
}
