//! The runtime a case runs on, and the deadline that turns a hang into a failure.

use std::time::Duration;

use futures_lite::future;

use crate::rt::timer::sleep_on_a_thread;
use crate::{CancellationToken, Executor, WorkerPool, WorkerPoolBuilder};

/// How long a case may run before it fails as hung. Far beyond what any case needs, even on
/// a loaded 2-core machine: it exists to turn a deadlock into a failure.
pub const CASE_DEADLINE: Duration = Duration::from_secs(120);

/// A runtime to run the suite on.
pub trait Harness {
    /// The backend's executor.
    type Executor: Executor + Clone;

    /// An executor for a new pool.
    fn executor() -> Self::Executor;

    /// Runs a case to completion on the runtime.
    fn block_on<F: Future>(future: F) -> F::Output;
}

/// Runs one case on `H`, failing it if it outlives [`CASE_DEADLINE`].
pub fn run<H: Harness>(case: impl Future<Output = ()>) {
    H::block_on(async {
        let executor = H::executor();
        // On a thread, not the runtime's timer: a case may block every runtime thread.
        let deadline = async {
            sleep_on_a_thread(CASE_DEADLINE, executor.sleep(CASE_DEADLINE)).await;
            panic!("the case did not finish within {CASE_DEADLINE:?}: it hangs");
        };
        future::or(case, deadline).await;
    });
}

/// A sleep on the pool's timer thread: the same on every runtime, and it fires even when
/// jobs block every runtime thread.
pub async fn sleep(duration: std::time::Duration) {
    crate::rt::timer::Deadline::after(duration)
        .expect("the timer thread starts")
        .await;
}

/// A builder on `H`'s executor.
pub fn builder<H: Harness, O: Send + 'static>() -> WorkerPoolBuilder<H::Executor, O> {
    WorkerPool::with_executor(H::executor())
}

/// A pool (not started) of `workers` on `H`, tied to a fresh upstream token, returned with it.
pub fn pool_under<H: Harness, O: Send + 'static>(
    workers: usize,
) -> (CancellationToken, WorkerPool<H::Executor, O>) {
    let upstream = CancellationToken::new();
    let pool = builder::<H, O>()
        .workers(workers)
        .cancellation(upstream.clone())
        .build()
        .expect("a valid pool");
    (upstream, pool)
}
