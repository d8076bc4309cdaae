//! Which public types are `Send`, `Sync` and `Unpin`, and which futures are `Send`: checked
//! when this file compiles (as tokio's `tests/async_send_sync.rs` does), so that a change that
//! takes one away fails the build, not a user's.
#![allow(dead_code, clippy::let_underscore_future)]

use pool_core::{
    BlockingJob, BuildError, CancellationToken, Cancelled, DropGuard, FnJob, JobContext, JobError,
    JobErrorKind, JobHandle, JobId, JobSet, JobStatus, Lease, NoRuntime, PerWorker, Percentiles,
    PoolStats, ResizeError, Results, ShutdownError, ShutdownReport, StartError, SubmitError,
    Timings, TrySubmitError, UnstartedJob, WaitForCancellation, WaitForCancellationOwned,
    WorkerPool, WorkerPoolBuilder,
};
use pool_tokio::TokioExecutor;

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}
fn unpin<T: Unpin>() {}
fn send_future<F: Future + Send>(_: F) {}

type Job = FnJob<fn(JobContext) -> std::future::Ready<Result<u64, pool_core::BoxError>>>;

fn types() {
    send_sync::<WorkerPool<TokioExecutor, u64>>();
    send_sync::<WorkerPoolBuilder<TokioExecutor, u64>>();
    send_sync::<JobSet<TokioExecutor, u64>>();
    send_sync::<JobHandle<u64>>();
    unpin::<JobHandle<u64>>();
    send_sync::<JobContext>();
    send_sync::<JobId>();
    send_sync::<JobError>();
    send_sync::<JobErrorKind>();
    send_sync::<Cancelled>();
    send_sync::<JobStatus<u64>>();
    send_sync::<Results<u64>>();
    unpin::<Results<u64>>();
    send_sync::<PoolStats>();
    send_sync::<Timings>();
    send_sync::<Percentiles>();
    // It holds the jobs that never started, which need only be `Send`.
    send::<ShutdownReport<u64>>();
    send::<UnstartedJob<u64>>();
    send_sync::<CancellationToken>();
    send_sync::<DropGuard>();
    send_sync::<WaitForCancellation<'static>>();
    send_sync::<WaitForCancellationOwned>();
    unpin::<WaitForCancellationOwned>();
    send_sync::<PerWorker<String>>();
    send_sync::<Lease<String>>();
    send::<Job>();
    send::<BlockingJob<fn(JobContext) -> Result<u64, pool_core::BoxError>>>();
    send_sync::<BuildError>();
    send_sync::<StartError>();
    send_sync::<ResizeError>();
    send_sync::<ShutdownError>();
    send_sync::<NoRuntime>();
    send_sync::<SubmitError<Job>>();
    send_sync::<TrySubmitError<u8>>();
}

fn futures(pool: WorkerPool<TokioExecutor, u64>, job: Job, ctx: JobContext) {
    send_future(pool.submit(job));
    send_future(pool.shutdown());
    send_future(pool.shutdown_now());
    send_future(pool.shutdown_timeout(std::time::Duration::ZERO));
    send_future(pool.job_set().join_next());
    send_future(ctx.cancelled());
    send_future(ctx.run_blocking(|| 1));
    send_future(pool.cancellation_token().cancelled());
}

#[test]
fn the_assertions_compile() {
    // Everything above is checked by the compiler; this test only marks the file as run.
}
