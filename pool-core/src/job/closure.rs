//! Jobs from closures and futures, for work too small to deserve a struct.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use crate::job::named_once::NamedOnce;
use crate::{BoxError, JobContext, JobProcessor, ProcessFuture};

/// Makes a job from a name and an async closure that runs once.
///
/// The closure is `FnOnce`: it may move what it captured into its future, and it need not be
/// `Sync`. It gets its own clone of the [`JobContext`], so the future may keep it as long as it
/// likes.
///
/// The future's error is a [`BoxError`], so that `?` converts any error inside an async block
/// and `Ok(value)` needs no annotation. For a closure whose future has an error type of its
/// own (`Result<_, io::Error>`, say), use [`FnJob::new`] (or
/// [`spawn_fn`](crate::WorkerPool::spawn_fn)), which take any error that converts into a
/// `BoxError`.
///
/// # Examples
///
/// ```
/// use pool_core::{job_fn, JobProcessor};
///
/// let greeting = String::from("hello");
/// let job = job_fn("greet", move |ctx| async move {
///     // `greeting` moves into the future: no clone.
///     let name = std::env::var("USER").unwrap_or_default(); // `?` would convert any error
///     Ok(format!("{greeting}, {name}, from {}", ctx.job_id()))
/// });
/// assert_eq!(job.name(), "greet");
/// ```
#[must_use = "a job does nothing until it is submitted"]
pub fn job_fn<F, Fut, O>(name: impl Into<Cow<'static, str>>, f: F) -> FnJob<F>
where
    F: FnOnce(JobContext) -> Fut + Send + 'static,
    Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    O: Send + 'static,
{
    FnJob::new(name, f)
}

/// A job made from an async closure that runs once: by [`job_fn`],
/// [`submit_fn`](crate::WorkerPool::submit_fn), [`spawn_fn`](crate::WorkerPool::spawn_fn),
/// or [`FnJob::new`]. `E` is the error of the closure's future.
pub struct FnJob<F, E = BoxError> {
    closure: NamedOnce<F>,
    error: PhantomData<fn() -> E>,
}

impl<F, E> FnJob<F, E> {
    /// A job named `name` that runs `f` once; its future may fail with any error that
    /// converts into a [`BoxError`] (the error's type is then named by the closure's
    /// future, so `Ok(value)` alone needs an annotation: [`job_fn`] is the shorter form for
    /// `BoxError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::{FnJob, JobProcessor};
    ///
    /// async fn read_config(name: &str) -> Result<usize, std::io::Error> {
    ///     Ok(name.len())
    /// }
    ///
    /// let job = FnJob::new("read", |_ctx| read_config("app.toml"));
    /// assert_eq!(job.name(), "read");
    /// ```
    pub fn new<Fut, O>(name: impl Into<Cow<'static, str>>, f: F) -> Self
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        O: Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Self {
            closure: NamedOnce::new(name, f),
            error: PhantomData,
        }
    }

    /// The closure, if the job has not run.
    pub fn into_inner(self) -> Option<F> {
        self.closure.into_inner()
    }
}

impl<F, E> fmt::Debug for FnJob<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.closure.debug("FnJob", f)
    }
}

impl<F, Fut, O, E> JobProcessor for FnJob<F, E>
where
    F: FnOnce(JobContext) -> Fut + Send + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    O: Send + 'static,
    E: Into<BoxError> + 'static,
{
    type Output = O;

    fn name(&self) -> &str {
        self.closure.name()
    }

    fn process<'job, 'ctx, 'fut>(&'job mut self, ctx: &'ctx JobContext) -> ProcessFuture<'fut, O>
    where
        'job: 'fut,
        'ctx: 'fut,
        Self: 'fut,
    {
        match self.closure.take() {
            // For a `BoxError`, `into` is the identity: nothing is boxed again.
            Some(f) => {
                let future = f(ctx.clone());
                Box::pin(async move { future.await.map_err(Into::into) })
            }
            None => Box::pin(std::future::ready(Err(
                "a closure job runs once, and this one already ran".into(),
            ))),
        }
    }
}

/// A future as a job: what [`spawn`](crate::WorkerPool::spawn) submits. The future does
/// not see the [`JobContext`]; use [`job_fn`] for a job that watches cancellation.
pub(crate) struct FutureJob<Fut> {
    /// Taken when the job runs.
    future: Option<Fut>,
}

impl<Fut> FutureJob<Fut> {
    pub(crate) fn new(future: Fut) -> Self {
        Self {
            future: Some(future),
        }
    }

    /// The future, if the job has not run: a refused job is handed back as it came.
    pub(crate) fn into_future(self) -> Fut {
        self.future.expect("a refused job never ran")
    }
}

impl<Fut, O, E> JobProcessor for FutureJob<Fut>
where
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    O: Send + 'static,
    E: Into<BoxError> + 'static,
{
    type Output = O;

    fn name(&self) -> &str {
        "spawned"
    }

    fn process<'job, 'ctx, 'fut>(&'job mut self, _ctx: &'ctx JobContext) -> ProcessFuture<'fut, O>
    where
        'job: 'fut,
        'ctx: 'fut,
        Self: 'fut,
    {
        let future = self.future.take();
        Box::pin(async move {
            match future {
                Some(future) => future.await.map_err(Into::into),
                None => Err("a spawned future runs once, and this one already ran".into()),
            }
        })
    }
}
