//! Running synchronous code where blocking is allowed, and waiting for its value: what
//! [`JobContext::run_blocking`](crate::JobContext::run_blocking) and blocking jobs stand on.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Weak;

/// Where a pool runs blocking work: its executor's [`spawn_blocking`](crate::Executor::spawn_blocking),
/// with the executor's type forgotten, so that a [`JobContext`](crate::JobContext) can reach it.
pub(crate) trait BlockingRunner: Send + Sync {
    fn spawn_blocking(&self, task: Box<dyn FnOnce() + Send>);
}

/// Runs `f` through `runner` (or on a thread of its own, if the pool is gone: a context kept
/// past its pool) and waits for its value. A panic in `f` resumes in the caller, so that in a
/// job it is reported as the job's panic.
pub(crate) async fn run_blocking<T, F>(runner: &Weak<dyn BlockingRunner>, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tell, told) = futures_channel::oneshot::channel();
    let task: Box<dyn FnOnce() + Send> = Box::new(move || {
        // Given up on while it waited for a thread (a job timed out or aborted): it does not
        // start at all.
        if tell.is_canceled() {
            return;
        }
        // Nobody may be waiting any more (a timed-out job): the value is then dropped.
        // The payload itself, not its message (see `sync::panic`): it resumes in the caller.
        let _ = tell.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match runner.upgrade() {
        Some(runner) => runner.spawn_blocking(task),
        None => {
            std::thread::spawn(task);
        }
    }
    match told.await {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("the runtime dropped a blocking task before it ran"),
    }
}
