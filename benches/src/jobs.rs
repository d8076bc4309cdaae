//! The jobs measured: the same work for the pool and for every baseline.

use std::pin::Pin;

use pool_core::{BoxError, JobContext, JobProcessor, async_trait};

/// A job as the baselines hold it: a boxed closure returning a boxed future, the same two
/// boxes (one of them zero-sized) as a pool job and its `async_trait` future.
pub type BoxedJob = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What each job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// Nothing: the cost measured is the machinery's alone.
    Noop,
    /// One `yield_now`: a real suspension and re-schedule.
    Yield,
}

impl Work {
    /// The work as a future.
    pub async fn run(self) {
        if self == Self::Yield {
            yield_once().await;
        }
    }

    /// The work as a baseline job.
    pub fn boxed(self) -> BoxedJob {
        Box::new(move || Box::pin(self.run()))
    }
}

/// Suspends once, waking itself: the runtime-free `yield_now`.
async fn yield_once() {
    let mut yielded = false;
    futures::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

/// The work as a pool job.
#[derive(Clone, Copy, Debug)]
pub struct PoolJob(pub Work);

#[async_trait]
impl JobProcessor for PoolJob {
    type Output = ();

    fn name(&self) -> &str {
        "bench"
    }

    async fn process(&self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.0.run().await;
        Ok(())
    }
}
