//! Jobs from closures, for work too small to deserve a struct.

use std::borrow::Cow;
use std::fmt;

use async_trait::async_trait;

use crate::{BoxError, JobContext, JobProcessor};

/// Makes a job from a name and an async closure.
///
/// The closure gets its own clone of the [`JobContext`], so the future it returns may keep it
/// for as long as it likes. (A struct implementing [`JobProcessor`] borrows the context
/// instead, and so saves that clone.)
///
/// # Examples
///
/// ```
/// use pool_core::{job_fn, JobProcessor};
///
/// let job = job_fn("greet", |ctx| async move {
///     Ok(format!("hello from {} on worker {}", ctx.job_id(), ctx.worker_id()))
/// });
/// assert_eq!(job.name(), "greet");
/// ```
pub fn job_fn<F, Fut, O>(name: impl Into<Cow<'static, str>>, f: F) -> FnJob<F>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    O: Send + 'static,
{
    FnJob {
        name: name.into(),
        f,
    }
}

/// A job made by [`job_fn`].
pub struct FnJob<F> {
    name: Cow<'static, str>,
    f: F,
}

impl<F> fmt::Debug for FnJob<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnJob").field("name", &self.name).finish()
    }
}

#[async_trait]
impl<F, Fut, O> JobProcessor for FnJob<F>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    O: Send + 'static,
{
    type Output = O;

    fn name(&self) -> &str {
        &self.name
    }

    async fn process(&self, ctx: &JobContext) -> Result<O, BoxError> {
        (self.f)(ctx.clone()).await
    }
}
