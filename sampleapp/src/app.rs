//! The run itself, written once for every runtime: start a pool, publish until told to stop,
//! drain, report.

use std::time::{Duration, Instant};

use futures_lite::future;
use pool_core::{BuildError, Executor, StartError, TrySubmitError, WorkerPool};

use crate::cli::{Args, DEFAULT_IDLE_TIMEOUT};
use crate::job::{Fate, TestJobData};
use crate::progress::Progress;
use crate::stop::{Stop, StopReason};
use crate::summary::Summary;

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The flags describe a pool that cannot be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The pool would not start.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// Runs the sample on `executor`'s runtime and returns its summary.
///
/// # Errors
///
/// If the pool cannot be built or started.
pub async fn run<E: Executor + Clone>(
    executor: E,
    runtime: &str,
    args: &Args,
    stop: &Stop,
) -> Result<Summary, RunError> {
    let mut builder = WorkerPool::<E>::with_executor(executor.clone())
        .name("sampleapp")
        .workers(args.workers.max)
        // For the summary's queue-wait and run-time percentiles: two clock reads per job.
        .timings(true)
        .cancellation(stop.now.clone())
        .start_message(format!("worker pool started on {runtime}"))
        .cancel_message("worker pool draining");
    if args.workers.elastic {
        builder = builder
            .min_workers(args.workers.min)
            .idle_timeout(args.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT));
    }
    if let Some(queue) = args.capacity {
        builder = builder.queue_capacity(queue as usize);
    }
    if let Some(jobs) = args.jobs {
        builder = builder.max_jobs(jobs);
    }
    if let Some(limit) = args.job_timeout {
        builder = builder.job_timeout(limit);
    }
    // A pool is a handle: its clones share it, as `Arc` would.
    let pool = builder.build()?;
    let progress = Progress::of_pool({
        let pool = pool.clone();
        move || pool.stats()
    });
    let started = Instant::now();
    pool.start()?;

    let deadline = async {
        match args.publish_for() {
            Some(duration) => {
                executor.sleep(duration).await;
                stop.drain(StopReason::Duration);
            }
            None => future::pending().await,
        }
    };
    let until = args.publish_for().map(|duration| started + duration);
    let mut peak_workers = pool.stats().live_workers;
    let publishing = publish(&pool, &executor, args, stop, until, &mut peak_workers);
    let published = future::or(publishing, async {
        deadline.await;
        future::pending().await
    })
    .await;
    if pool.is_closed() && args.jobs == Some(published) {
        stop.drain(StopReason::JobCount);
    }
    tracing::info!(published, "publisher stopped");

    let report = pool
        .shutdown()
        .await
        .expect("the app shuts its pool down once");
    let wall = started.elapsed();
    progress.finish();
    let reason = stop.reason().map_or("pool closed", StopReason::as_str);
    Ok(Summary::new(
        runtime.to_owned(),
        &report.stats,
        peak_workers,
        report.unstarted.len(),
        reason,
        stop.now.is_cancelled(),
        wall,
    ))
}

/// How many jobs the publisher queues before it lets the runtime run its other tasks: a queue
/// with room never makes it wait.
const JOBS_PER_YIELD: u64 = 256;

/// Publishes jobs as fast as the pool takes them, until asked to stop, `until` has passed, or
/// the pool closes. Returns how many it published; notes the most live workers it saw (an
/// elastic pool grows while its queue fills).
async fn publish<E: Executor + Clone>(
    pool: &WorkerPool<E>,
    executor: &E,
    args: &Args,
    stop: &Stop,
    until: Option<Instant>,
    peak_workers: &mut usize,
) -> u64 {
    let mut rng = fastrand::Rng::new();
    let mut published = 0;
    let mut said_full = false;
    while !stop.drain.is_cancelled() {
        // Checked on every job: while the queue has room, nothing else gets a say.
        if until.is_some_and(|until| Instant::now() >= until) {
            stop.drain(StopReason::Duration);
            break;
        }
        let job = draw_job(&mut rng, executor, args);
        let job = match pool.try_submit_detached(job) {
            Ok(_) => {
                published += 1;
                if published % JOBS_PER_YIELD == 0 {
                    *peak_workers = (*peak_workers).max(pool.stats().live_workers);
                    future::yield_now().await;
                }
                continue;
            }
            Err(TrySubmitError::Closed(_)) => break,
            Err(TrySubmitError::Full(job)) => job,
        };
        if !said_full {
            said_full = true;
            tracing::info!(published, "queue full: publishing at the pool's pace");
        }
        *peak_workers = (*peak_workers).max(pool.stats().live_workers);
        // The queue is full: wait for room (back-pressure), or for a stop.
        let submitted = async { Some(pool.submit_detached(job).await.is_ok()) };
        let stopped = async {
            stop.drain.cancelled().await;
            None
        };
        match future::or(stopped, submitted).await {
            Some(true) => published += 1,
            Some(false) | None => break,
        }
    }
    published
}

fn draw_job<E: Clone>(rng: &mut fastrand::Rng, executor: &E, args: &Args) -> TestJobData<E> {
    let work = Duration::from_millis(rng.u64(args.job_ms.0.clone()));
    let roll = rng.f64();
    let fate = if roll < args.panic_rate {
        Fate::Panic
    } else if roll < args.panic_rate + args.fail_rate {
        Fate::Fail
    } else {
        Fate::Succeed
    };
    let blocking = rng.f64() < args.blocking_rate;
    TestJobData::new(executor.clone(), work, fate, blocking)
}
