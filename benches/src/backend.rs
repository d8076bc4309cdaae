//! The three runtimes, set up alike: two worker threads each.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::thread;

use pool_async_std::AsyncStdExecutor;
use pool_core::Executor;
use pool_smol::SmolExecutor;
use pool_tokio::TokioExecutor;

use crate::jobs::Work;

/// Worker threads per runtime: the same for all, and the machine's cores here.
pub const THREADS: usize = 2;

/// A boxed future, the common shape of every runtime's join handle.
pub type Joined<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A runtime as the benchmarks need it: the pool's executor, `block_on`, and a plain spawn
/// for the baselines.
pub trait Backend: fmt::Debug + Clone + Send + Sync + 'static {
    /// The name in reports: `tokio`, `async-std`, `smol`.
    const NAME: &'static str;
    /// The pool's executor on this runtime.
    type Executor: Executor + Clone;

    /// An executor for a pool.
    fn executor(&self) -> Self::Executor;
    /// Runs `future` to completion from the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// Runs `future` to completion as a task on the runtime's worker threads, as a producer
    /// inside a service would run: no thread outside the runtime takes part.
    fn run<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
        self.block_on(self.spawn(future))
    }
    /// Spawns `future` on the runtime's worker threads.
    fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Joined<T>;
    /// A task per job, all spawned at once, then all joined, each through the runtime's own
    /// join handle (no extra box: that would flatter the pool).
    fn spawn_each(&self, work: Work, jobs: usize) -> impl Future<Output = ()> + Send + 'static;
}

/// tokio's multi-threaded runtime with [`THREADS`] workers.
#[derive(Clone, Debug)]
pub struct TokioBackend(Arc<tokio::runtime::Runtime>);

impl TokioBackend {
    /// A fresh runtime.
    pub fn new() -> Self {
        Self(Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(THREADS)
                .enable_all()
                .build()
                .expect("a tokio runtime"),
        ))
    }
}

impl Default for TokioBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl Backend for TokioBackend {
    const NAME: &'static str = "tokio";
    type Executor = TokioExecutor;

    fn executor(&self) -> TokioExecutor {
        TokioExecutor::with_handle(self.0.handle().clone())
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Joined<T> {
        let handle = self.0.spawn(future);
        Box::pin(async move { handle.await.expect("a benchmark task panicked") })
    }

    fn spawn_each(&self, work: Work, jobs: usize) -> impl Future<Output = ()> + Send + 'static {
        let runtime = self.0.handle().clone();
        async move {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..jobs {
                set.spawn_on(work.run(), &runtime);
            }
            while let Some(joined) = set.join_next().await {
                joined.expect("a benchmark task panicked");
            }
        }
    }
}

/// async-std's global executor, held to [`THREADS`] threads.
#[derive(Clone, Debug)]
pub struct AsyncStdBackend(());

impl AsyncStdBackend {
    /// Sizes async-std's global executor, which must happen before its first use.
    pub fn new() -> Self {
        async_global_executor::init_with_config(
            async_global_executor::GlobalExecutorConfig::default()
                .with_min_threads(THREADS)
                .with_max_threads(THREADS),
        );
        Self(())
    }
}

impl Default for AsyncStdBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl Backend for AsyncStdBackend {
    const NAME: &'static str = "async-std";
    type Executor = AsyncStdExecutor;

    fn executor(&self) -> AsyncStdExecutor {
        AsyncStdExecutor::default()
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Joined<T> {
        Box::pin(async_std::task::spawn(future))
    }

    // Not an `async fn`: its future would borrow `self`, and it must be `'static`.
    #[allow(clippy::manual_async_fn)]
    fn spawn_each(&self, work: Work, jobs: usize) -> impl Future<Output = ()> + Send + 'static {
        async move {
            let tasks: Vec<_> = (0..jobs)
                .map(|_| async_std::task::spawn(work.run()))
                .collect();
            for task in tasks {
                task.await;
            }
        }
    }
}

/// A smol executor run by [`THREADS`] threads (smol's global one would use one thread).
#[derive(Clone)]
pub struct SmolBackend {
    executor: Arc<smol::Executor<'static>>,
    _stop: smol::channel::Sender<()>,
}

impl SmolBackend {
    /// A fresh executor and its threads, which stop when the backend is dropped.
    pub fn new() -> Self {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        for _ in 0..THREADS {
            let (executor, stopped) = (Arc::clone(&executor), stopped.clone());
            thread::spawn(move || smol::block_on(executor.run(stopped.recv())));
        }
        Self {
            executor,
            _stop: stop,
        }
    }
}

impl Default for SmolBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SmolBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmolBackend").finish_non_exhaustive()
    }
}

impl Backend for SmolBackend {
    const NAME: &'static str = "smol";
    type Executor = SmolExecutor;

    fn executor(&self) -> SmolExecutor {
        SmolExecutor::on(Arc::clone(&self.executor))
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }

    fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Joined<T> {
        Box::pin(self.executor.spawn(future))
    }

    fn spawn_each(&self, work: Work, jobs: usize) -> impl Future<Output = ()> + Send + 'static {
        let executor = Arc::clone(&self.executor);
        async move {
            let tasks: Vec<_> = (0..jobs).map(|_| executor.spawn(work.run())).collect();
            for task in tasks {
                task.await;
            }
        }
    }
}
