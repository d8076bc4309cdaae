//! The jobs measured: the same work for the pool and for every baseline.

use std::borrow::Cow;
use std::pin::Pin;

use pool_core::{BoxError, JobContext, JobProcessor, async_trait};

/// A job as the baselines hold it: a boxed closure returning a boxed future, the same two
/// boxes as a pool job and its `async_trait` future. The closures capture nothing, as the pool
/// jobs ([`Noop`], [`Yield`]) hold nothing: both boxes of the job itself are zero-sized, and
/// only the future is allocated, on both sides.
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
        match self {
            Self::Noop => Box::new(|| Box::pin(Self::Noop.run())),
            Self::Yield => Box::new(|| Box::pin(Self::Yield.run())),
        }
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

/// [`Work::Noop`] as a pool job.
#[derive(Clone, Copy, Debug)]
pub struct Noop;

/// [`Work::Yield`] as a pool job.
#[derive(Clone, Copy, Debug)]
pub struct Yield;

#[async_trait]
impl JobProcessor for Noop {
    type Output = ();

    fn name(&self) -> &str {
        "noop"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        Work::Noop.run().await;
        Ok(())
    }
}

#[async_trait]
impl JobProcessor for Yield {
    type Output = ();

    fn name(&self) -> &str {
        "yield"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        Work::Yield.run().await;
        Ok(())
    }
}

/// [`Work`] as a struct job that carries what the benchmark's closure job carries, its name
/// and its work: not zero-sized, so it is boxed on the producer's thread and freed on a
/// worker's, as a closure job is. Beside it, a closure job's own cost shows.
#[derive(Clone, Debug)]
pub struct Carrying {
    name: Cow<'static, str>,
    work: Work,
}

impl Carrying {
    /// A job named `name` that does `work`.
    pub fn new(name: impl Into<Cow<'static, str>>, work: Work) -> Self {
        Self {
            name: name.into(),
            work,
        }
    }
}

#[async_trait]
impl JobProcessor for Carrying {
    type Output = ();

    fn name(&self) -> &str {
        &self.name
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.work.run().await;
        Ok(())
    }
}
