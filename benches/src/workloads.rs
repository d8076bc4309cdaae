//! The workloads: each runs `jobs` jobs of one [`Work`] to the end, one way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use pool_core::{Executor, JobProcessor, WorkerPool, job_fn};

use crate::backend::{Backend, Joined};
use crate::jobs::{BoxedJob, Carrying, Noop, Work, Yield};

/// The pool, fire-and-forget: `submit_detached`, then a graceful shutdown that waits for all.
pub async fn pool<B: Backend>(backend: B, work: Work, jobs: usize, workers: usize, queue: usize) {
    match work {
        Work::Noop => pool_of(backend, Noop, jobs, workers, queue, false).await,
        Work::Yield => pool_of(backend, Yield, jobs, workers, queue, false).await,
    }
}

/// The pool, fire-and-forget, keeping timings (queue wait and run time per job).
pub async fn pool_timed<B: Backend>(backend: B, jobs: usize, workers: usize, queue: usize) {
    let pool = started_pool(&backend, workers, queue, true);
    submit_detached_all(&pool, jobs, || Noop).await;
    let report = pool.shutdown().await.expect("the first shutdown");
    let timings = report.stats.timings.expect("timings were asked for");
    assert_eq!(timings.run.count, jobs as u64);
}

/// The pool, with every job's handle awaited.
pub async fn pool_with_handles<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    match work {
        Work::Noop => pool_of(backend, Noop, jobs, workers, queue, true).await,
        Work::Yield => pool_of(backend, Yield, jobs, workers, queue, true).await,
    }
}

/// The pool, fire-and-forget, with closure jobs (`job_fn`) instead of a struct.
pub async fn pool_of_closures<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    let job = || {
        job_fn("noop", move |_ctx| async move {
            work.run().await;
            Ok(())
        })
    };
    detached_to_the_end(&backend, jobs, workers, queue, job).await;
}

/// The pool, fire-and-forget, with struct jobs that carry what the closure jobs of
/// [`pool_of_closures`] carry (a name and the work), so not zero-sized.
pub async fn pool_of_carrying<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    let job = || Carrying::new("noop", work);
    detached_to_the_end(&backend, jobs, workers, queue, job).await;
}

/// The jobs of [`pool_of_carrying`] under two names in turn, as in a pool that runs several
/// kinds of job: a worker's next job often has another name than its last.
pub async fn pool_of_two_kinds<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    let odd = AtomicBool::new(false);
    let job = || {
        let name = if odd.fetch_xor(true, Ordering::Relaxed) {
            "noop-a"
        } else {
            "noop-b"
        };
        Carrying::new(name, work)
    };
    detached_to_the_end(&backend, jobs, workers, queue, job).await;
}

/// `jobs` jobs made by `job`, submitted without handles to an untimed pool, which then shuts
/// down gracefully having completed them all.
async fn detached_to_the_end<B: Backend, J: JobProcessor<Output = ()>>(
    backend: &B,
    jobs: usize,
    workers: usize,
    queue: usize,
    job: impl Fn() -> J,
) {
    let pool = started_pool(backend, workers, queue, false);
    submit_detached_all(&pool, jobs, job).await;
    let report = pool.shutdown().await.expect("the first shutdown");
    assert_eq!(report.stats.completed, jobs as u64);
}

/// A started pool of `workers` and a queue of `queue`, keeping timings or not.
fn started_pool<B: Backend>(
    backend: &B,
    workers: usize,
    queue: usize,
    timings: bool,
) -> WorkerPool<B::Executor> {
    let pool = WorkerPool::<B::Executor>::with_executor(backend.executor())
        .workers(workers)
        .queue_capacity(queue)
        .timings(timings)
        .build()
        .expect("a valid pool");
    pool.start().expect("a fresh pool starts");
    pool
}

/// Submits `jobs` jobs made by `job`, without handles.
async fn submit_detached_all<E: Executor, J: JobProcessor<Output = ()>>(
    pool: &WorkerPool<E>,
    jobs: usize,
    job: impl Fn() -> J,
) {
    for _ in 0..jobs {
        if pool.submit_detached(job()).await.is_err() {
            unreachable!("the pool is open");
        }
    }
}

async fn pool_of<B: Backend, J: JobProcessor<Output = ()> + Copy>(
    backend: B,
    job: J,
    jobs: usize,
    workers: usize,
    queue: usize,
    with_handles: bool,
) {
    let pool = started_pool(&backend, workers, queue, false);
    if with_handles {
        let mut handles = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            match pool.submit(job).await {
                Ok(handle) => handles.push(handle),
                Err(_) => unreachable!("the pool is open"),
            }
        }
        for handle in handles {
            handle.await.expect("the job succeeds");
        }
    } else {
        submit_detached_all(&pool, jobs, || job).await;
    }
    let report = pool.shutdown().await.expect("the first shutdown");
    assert_eq!(report.stats.completed, jobs as u64);
}

/// The design's physical limit: a hand-written bounded `async-channel` of boxed jobs, with
/// `workers` tasks pulling from it, and nothing else.
pub async fn channel<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    let (sender, receiver) = async_channel::bounded::<BoxedJob>(queue);
    let tasks: Vec<Joined<()>> = (0..workers)
        .map(|_| {
            let receiver = receiver.clone();
            backend.spawn(async move {
                while let Ok(job) = receiver.recv().await {
                    job().await;
                }
            })
        })
        .collect();
    for _ in 0..jobs {
        send(&sender, work.boxed()).await;
    }
    drop(sender);
    for task in tasks {
        task.await;
    }
}

/// The channel baseline with a oneshot per job, every result awaited: what the pool's
/// handles cost, written by hand.
pub async fn channel_with_oneshots<B: Backend>(
    backend: B,
    work: Work,
    jobs: usize,
    workers: usize,
    queue: usize,
) {
    type Reply = futures_channel::oneshot::Sender<()>;
    let (sender, receiver) = async_channel::bounded::<(BoxedJob, Reply)>(queue);
    let tasks: Vec<Joined<()>> = (0..workers)
        .map(|_| {
            let receiver = receiver.clone();
            backend.spawn(async move {
                while let Ok((job, reply)) = receiver.recv().await {
                    job().await;
                    let _ = reply.send(());
                }
            })
        })
        .collect();
    let mut replies = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        let (reply, outcome) = futures_channel::oneshot::channel();
        sender
            .send((work.boxed(), reply))
            .await
            .expect("workers are alive");
        replies.push(outcome);
    }
    for outcome in replies {
        outcome.await.expect("every job replies");
    }
    drop(sender);
    for task in tasks {
        task.await;
    }
}

/// Sends as the pool does: `try_send` first, and a send future only when the queue is full,
/// so that the baseline is the best hand-written version, not a strawman.
async fn send<T>(sender: &async_channel::Sender<T>, item: T) {
    match sender.try_send(item) {
        Ok(()) => {}
        Err(async_channel::TrySendError::Full(item)) => {
            sender.send(item).await.expect("workers are alive");
        }
        Err(async_channel::TrySendError::Closed(_)) => unreachable!("workers are alive"),
    }
}

/// tokio only: a task per job, each spawned once a `Semaphore` permit is free.
pub async fn semaphore_spawn(work: Work, jobs: usize, permits: usize) {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(permits));
    for _ in 0..jobs {
        let permit = Arc::clone(&semaphore)
            .acquire_owned()
            .await
            .expect("never closed");
        tokio::spawn(async move {
            work.run().await;
            drop(permit);
        });
    }
    let all = u32::try_from(permits).expect("a small permit count");
    drop(semaphore.acquire_many(all).await.expect("never closed"));
}

/// `futures`' `buffer_unordered(limit)`: bounded, but inside one consumer task.
pub async fn buffer_unordered(work: Work, jobs: usize, limit: usize) {
    futures::stream::iter(0..jobs)
        .map(|_| (work.boxed())())
        .buffer_unordered(limit)
        .for_each(|()| async {})
        .await;
}
