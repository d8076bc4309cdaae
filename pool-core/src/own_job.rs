//! Knowing when a `submit` comes from one of the pool's own jobs, so that a job waiting for
//! room only its own worker could make is told instead of hanging.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

thread_local! {
    /// The id of the pool whose job this thread is polling now; 0 when none is.
    static POLLING_JOB_OF: Cell<u64> = const { Cell::new(0) };
}

/// A job's future as its worker polls it: panics are caught, and while it is polled, the
/// thread knows which pool's job it runs.
pub(crate) struct JobFuture<F> {
    pool_id: u64,
    future: F,
}

impl<F: Future + Unpin> JobFuture<F> {
    pub(crate) fn new(pool_id: u64, future: F) -> Self {
        Self { pool_id, future }
    }
}

impl<F: Future + Unpin> Future for JobFuture<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let outer = POLLING_JOB_OF.replace(this.pool_id);
        let polled = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.future).poll(cx)));
        POLLING_JOB_OF.set(outer);
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// How many of a pool's own jobs wait in `submit` for room in its queue.
#[derive(Debug, Default)]
pub(crate) struct OwnJobsWaiting(AtomicUsize);

/// One of them; counted out on drop.
pub(crate) struct Waiting<'a>(&'a OwnJobsWaiting);

impl OwnJobsWaiting {
    /// Counts the caller in if it is a job of pool `pool_id`, and returns how many such jobs
    /// wait now, itself included.
    pub(crate) fn enter(&self, pool_id: u64) -> Option<(Waiting<'_>, usize)> {
        if POLLING_JOB_OF.get() != pool_id {
            return None;
        }
        let waiting = self.0.fetch_add(1, Ordering::AcqRel) + 1;
        Some((Waiting(self), waiting))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::AcqRel);
    }
}
