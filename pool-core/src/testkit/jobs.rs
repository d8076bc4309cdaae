//! Jobs the cases share.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::testkit::{Gate, Latch};
use crate::{BoxError, FnJob, JobContext, JobProcessor, job_fn};

/// A job with a tag, to check that the very job submitted is the one handed back, and a
/// counter of how many times it ran (it must never run after being handed back).
#[derive(Debug, Clone)]
pub struct Tagged {
    pub tag: u64,
    pub runs: Arc<AtomicUsize>,
}

impl Tagged {
    pub fn new(tag: u64) -> Self {
        Self {
            tag,
            runs: Arc::default(),
        }
    }
}

#[async_trait]
impl JobProcessor for Tagged {
    type Output = ();

    fn name(&self) -> &str {
        "tagged"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A job that does nothing and succeeds.
pub fn noop()
-> FnJob<impl FnOnce(JobContext) -> std::future::Ready<Result<(), BoxError>> + Send + 'static> {
    job_fn("noop", |_ctx| std::future::ready(Ok(())))
}

/// A job that panics with `payload` (`panic!` throws a `&str` or a `String`;
/// `std::panic::panic_any` anything).
pub fn panicking<O: Send + 'static>(
    name: &'static str,
    payload: impl std::any::Any + Send + 'static,
) -> impl JobProcessor<Output = O> {
    job_fn(name, move |_ctx| async move {
        std::panic::panic_any(payload);
        #[allow(unreachable_code)]
        Ok::<O, BoxError>(unreachable!())
    })
}

/// A job that tells `started` it began, then waits for `gate`: it holds its worker until the
/// case lets go.
pub fn blocker(started: &Arc<Latch>, gate: &Gate) -> impl JobProcessor<Output = ()> {
    let (started, gate) = (Arc::clone(started), gate.clone());
    job_fn("blocker", move |_ctx| {
        let (started, gate) = (Arc::clone(&started), gate.clone());
        async move {
            started.count_down();
            gate.wait().await;
            Ok::<_, BoxError>(())
        }
    })
}

/// A job that waits until all the jobs sharing `everyone_in` have started: they finish only if
/// that many run at once.
pub fn rendezvous(everyone_in: &Arc<Latch>) -> impl JobProcessor<Output = ()> {
    let everyone_in = Arc::clone(everyone_in);
    job_fn("rendezvous", move |_ctx| {
        let everyone_in = Arc::clone(&everyone_in);
        async move {
            everyone_in.count_down();
            everyone_in.wait().await;
            Ok::<_, BoxError>(())
        }
    })
}

/// A job that tells `started` it began, waits for the pool's cancellation, counts itself in
/// `saw_cancel`, and succeeds.
pub fn graceful(
    started: &Arc<Latch>,
    saw_cancel: &Arc<AtomicUsize>,
) -> impl JobProcessor<Output = ()> {
    let (started, saw_cancel) = (Arc::clone(started), Arc::clone(saw_cancel));
    job_fn("graceful", move |ctx| {
        let (started, saw_cancel) = (Arc::clone(&started), Arc::clone(&saw_cancel));
        async move {
            started.count_down();
            ctx.cancelled().await;
            saw_cancel.fetch_add(1, Ordering::SeqCst);
            Ok::<_, BoxError>(())
        }
    })
}
