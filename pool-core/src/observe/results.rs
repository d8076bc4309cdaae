//! The results stream: one status per job, whoever holds its handle.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::FusedStream;
use futures_lite::Stream;

use crate::observe::results_sink::Backlog;
use crate::{JobError, JobId};

/// One job's outcome on the [results stream](crate::Results), with the job's id and name
/// so that the stream can be read on its own.
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
/// use pool_tokio::{job_fn, WorkerPool};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (pool, mut results) = WorkerPool::<u32>::builder().build_with_results(64)?;
/// pool.start()?;
/// pool.submit_detached(job_fn("two", |_ctx| async { Ok(2) })).await?;
/// pool.shutdown().await?;
/// while let Some(status) = results.next().await {
///     println!("{} {}: {:?}", status.id, status.name, status.outcome);
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "an unread results stream fills up, and then its workers wait for a reader"]
pub struct Results<O> {
    // Boxed because the receiver is `!Unpin` and `Stream` is polled through `Pin<&mut Self>`.
    receiver: Pin<Box<async_channel::Receiver<JobStatus<O>>>>,
    backlog: Arc<Backlog<O>>,
    /// Set once the stream has said `None`, for `FusedStream`.
    ended: bool,
}

impl<O> Results<O> {
    pub(crate) fn new(
        receiver: async_channel::Receiver<JobStatus<O>>,
        backlog: Arc<Backlog<O>>,
    ) -> Self {
        Self {
            receiver: Box::pin(receiver),
            backlog,
            ended: false,
        }
    }

    /// The next status, or `None` once the pool has stopped and the stream is empty.
    pub async fn recv(&self) -> Option<JobStatus<O>> {
        match self.receiver.recv().await {
            Ok(status) => {
                self.backlog.made_room();
                Some(status)
            }
            Err(_) => self.backlog.pop(),
        }
    }

    /// Statuses waiting to be read.
    pub fn len(&self) -> usize {
        self.receiver.len() + self.backlog.len()
    }

    /// Whether no status is waiting to be read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<O> Clone for Results<O> {
    fn clone(&self) -> Self {
        Self {
            receiver: Box::pin((*self.receiver).clone()),
            backlog: Arc::clone(&self.backlog),
            ended: self.ended,
        }
    }
}

impl<O> Stream for Results<O> {
    type Item = JobStatus<O>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.receiver.as_mut().poll_next(cx) {
            Poll::Ready(Some(status)) => {
                self.backlog.made_room();
                Poll::Ready(Some(status))
            }
            Poll::Ready(None) => {
                let status = self.backlog.pop();
                self.ended = status.is_none();
                Poll::Ready(status)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<O> FusedStream for Results<O> {
    /// Whether the stream has ended: it said `None`, and will say it again.
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl<O> Drop for Results<O> {
    fn drop(&mut self) {
        // The last reader closes the stream itself, before waking the workers that wait for
        // room, so that they find it closed (the channel would close only after this).
        if self.receiver.receiver_count() == 1 {
            self.receiver.close();
        }
        self.backlog.reader_left();
    }
}

impl<O> fmt::Debug for Results<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Results").field("len", &self.len()).finish()
    }
}
