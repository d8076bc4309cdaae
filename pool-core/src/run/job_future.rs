//! A job's future as its worker polls it: its panic is caught, and while it is polled, the
//! thread knows which pool's worker it runs for (what [`own_jobs`](crate::submit::own_jobs)
//! asks).

use std::cell::Cell;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::panic::contain;

thread_local! {
    /// The pool id and worker id of the job this thread is polling now; pool 0 when none.
    static POLLING_JOB_OF: Cell<(u64, usize)> = const { Cell::new((0, 0)) };
}

/// A job's future as its worker polls it: panics are caught, and while it is polled, the
/// thread knows which pool's worker it runs for.
pub(crate) struct JobFuture<F> {
    worker: (u64, usize),
    future: F,
}

impl<F: Future + Unpin> JobFuture<F> {
    pub(crate) fn new(pool_id: u64, worker_id: usize, future: F) -> Self {
        Self {
            worker: (pool_id, worker_id),
            future,
        }
    }
}

impl<F: Future + Unpin> Future for JobFuture<F> {
    /// The future's output, or its panic's message.
    type Output = Result<F::Output, String>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let outer = POLLING_JOB_OF.replace(this.worker);
        let polled = contain(|| Pin::new(&mut this.future).poll(cx));
        POLLING_JOB_OF.set(outer);
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(message) => Poll::Ready(Err(message)),
        }
    }
}

/// The pool id and worker id of the job this thread is polling now; pool 0 when none.
pub(crate) fn polling_job_of() -> (u64, usize) {
    POLLING_JOB_OF.get()
}
