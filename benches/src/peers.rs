//! The crates a user would pick instead of this pool, each used as its docs show it, running
//! the same jobs with the same bounds: [`WORKERS`](crate::criterion_support::WORKERS) at once
//! and, where there is a queue, [`QUEUE`](crate::criterion_support::QUEUE) waiting.

use std::marker::PhantomData;
use std::sync::Arc;

use orb::AsyncRuntime;
use orb::worker_pool::{Worker, WorkerAsync, WorkerPoolBounded};

use crate::backend::{Backend, Joined};
use crate::jobs::{BoxedJob, Work};

/// What an orb worker runs a message as.
pub trait OrbMessage: Send + Unpin + 'static {
    /// Runs the job the message stands for.
    fn run(self) -> impl Future<Output = ()> + Send;
}

/// A boxed job as an orb message: a named type, so that the compiler proves the pool's
/// futures `Send` (with the bare `Box<dyn FnOnce>` it cannot, for any lifetime).
pub struct Boxed(pub BoxedJob);

impl std::fmt::Debug for Boxed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Boxed")
    }
}

impl OrbMessage for Boxed {
    fn run(self) -> impl Future<Output = ()> + Send {
        (self.0)()
    }
}

impl OrbMessage for Work {
    fn run(self) -> impl Future<Output = ()> + Send {
        Work::run(self)
    }
}

/// An orb worker, cloned once per worker by the pool. It says so on `done` when its loop ends
/// (the pool was dropped and its queue drained), so that the producer can wait for the last
/// job, as the pool's graceful shutdown does.
struct OrbWorker<M> {
    done: async_channel::Sender<()>,
    message: PhantomData<fn(M)>,
}

impl<M> Clone for OrbWorker<M> {
    fn clone(&self) -> Self {
        Self {
            done: self.done.clone(),
            message: PhantomData,
        }
    }
}

impl<M: OrbMessage> Worker for OrbWorker<M> {
    type Msg = M;
}

impl<M: OrbMessage> WorkerAsync for OrbWorker<M> {
    fn run(&self, message: M) -> impl Future<Output = ()> + Send {
        message.run()
    }

    fn on_exit(&self, _count: usize) -> impl Future<Output = ()> + Send {
        // Unbounded: never full.
        let _ = self.done.try_send(());
        async {}
    }
}

/// orb's bounded worker pool: `workers` tasks over a crossfire channel of `queue` messages.
/// `M` is [`Boxed`] for boxed jobs, or [`Work`] itself for orb's typed mode (one job type,
/// no box).
pub async fn orb<RT: AsyncRuntime, M: OrbMessage>(
    exec: RT::Exec,
    jobs: usize,
    workers: usize,
    queue: usize,
    make: impl Fn() -> M,
) {
    let (done, finished) = async_channel::unbounded();
    let worker = OrbWorker {
        done,
        message: PhantomData,
    };
    let pool = WorkerPoolBounded::builder(worker, workers).new_async::<RT>(queue, Some(exec));
    for _ in 0..jobs {
        pool.submit_async(make()).await;
    }
    drop(pool);
    for _ in 0..workers {
        finished
            .recv()
            .await
            .expect("every worker says when it ends");
    }
}

/// `tokio-task-pool`: a task per job, spawned when one of `limit` permits is free; every
/// job's `JoinHandle` is awaited.
pub async fn tokio_task_pool(work: Work, jobs: usize, limit: usize) {
    let pool = tokio_task_pool::Pool::bounded(limit);
    let mut handles = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        handles.push(pool.spawn(work.run()).await.expect("the pool is open"));
    }
    for handle in handles {
        handle
            .await
            .expect("no job panics")
            .expect("no job times out");
    }
}

/// tokio's `JoinSet` with a `Semaphore` of `limit` permits: a task per job, finished tasks
/// reaped as the producer goes, so that the set stays as small as the bound.
pub async fn join_set_semaphore(work: Work, jobs: usize, limit: usize) {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(limit));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let permit = Arc::clone(&semaphore)
            .acquire_owned()
            .await
            .expect("never closed");
        set.spawn(async move {
            work.run().await;
            drop(permit);
        });
        while set.try_join_next().is_some() {}
    }
    while set.join_next().await.is_some() {}
}

/// `deadqueue`'s limited queue of `queue` boxed jobs with `workers` tasks popping from it; it
/// has no close, so each worker stops at a `None`.
pub async fn deadqueue<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    let queue = Arc::new(deadqueue::limited::Queue::<Option<BoxedJob>>::new(queue));
    let tasks: Vec<Joined<()>> = (0..workers)
        .map(|_| {
            let queue = Arc::clone(&queue);
            backend.spawn(async move {
                while let Some(job) = queue.pop().await {
                    job().await;
                }
            })
        })
        .collect();
    for _ in 0..jobs {
        queue.push(Some(work.boxed())).await;
    }
    for _ in 0..workers {
        queue.push(None).await;
    }
    for task in tasks {
        task.await;
    }
}

/// orb on smol. orb-smol cannot run on an executor it did not make, so orb gets its own, run
/// by as many threads as [`SmolBackend`](crate::SmolBackend)'s; the producer runs on it too.
#[derive(Clone, Debug)]
pub struct OrbSmol(orb_smol::SmolExec);

impl OrbSmol {
    /// A fresh executor and its threads.
    pub fn new() -> Self {
        Self(<orb_smol::SmolRT as AsyncRuntime>::multi(crate::THREADS))
    }

    /// The executor, for [`orb()`].
    pub fn exec(&self) -> orb_smol::SmolExec {
        self.0.clone()
    }

    /// Runs `future` as a task on orb's executor, and waits for it from the calling thread.
    pub fn run<T: Send + 'static>(&self, future: impl Future<Output = T> + Send + 'static) -> T {
        smol::block_on(orb::runtime::AsyncExec::spawn(&self.0, future))
            .expect("a benchmark task panicked")
    }
}

impl Default for OrbSmol {
    fn default() -> Self {
        Self::new()
    }
}
