//! Running the app on each runtime: the only runtime-specific code in the app.

use std::sync::Arc;
use std::thread;

use pool_async_std::AsyncStdExecutor;
use pool_smol::SmolExecutor;
use pool_tokio::TokioExecutor;

use crate::app::{RunError, run};
use pool_core::Executor;

use crate::cli::{Args, Runtime};
use crate::stop::Stop;
use crate::summary::Summary;

/// Work that runs on any of the three runtimes, given that runtime's executor.
pub trait OnAnyRuntime {
    /// What the work gives back.
    type Output;

    /// The work, on `executor`'s runtime.
    fn run<E: Executor + Clone>(self, executor: E) -> impl Future<Output = Self::Output>;
}

/// Runs `work` to completion on `runtime`: tokio's multi-threaded runtime, async-std's, or a
/// smol executor with one thread per core. The one place the app names a runtime.
///
/// # Errors
///
/// If the runtime cannot be set up.
pub fn block_on<W: OnAnyRuntime>(runtime: Runtime, work: W) -> std::io::Result<W::Output> {
    Ok(match runtime {
        Runtime::Tokio => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(work.run(TokioExecutor::default())),
        Runtime::AsyncStd => async_std::task::block_on(work.run(AsyncStdExecutor::default())),
        Runtime::Smol => on_smol(|executor| smol::block_on(work.run(SmolExecutor::on(executor)))),
    })
}

/// The app itself, as work for [`block_on`].
struct App<'a> {
    args: &'a Args,
    stop: &'a Stop,
}

impl OnAnyRuntime for App<'_> {
    type Output = Result<Summary, RunError>;

    fn run<E: Executor + Clone>(self, executor: E) -> impl Future<Output = Self::Output> {
        let name = self.args.runtime.to_string();
        async move { run(executor, &name, self.args, self.stop).await }
    }
}

/// Runs the app on the runtime `args` names.
///
/// # Errors
///
/// If the runtime cannot be set up, or the pool cannot be built or started.
pub fn run_on(args: &Args, stop: &Stop) -> Result<Summary, Box<dyn std::error::Error>> {
    Ok(block_on(args.runtime, App { args, stop })??)
}

/// Gives `body` a smol executor run by one thread per core (smol's global executor would use
/// one thread unless `SMOL_THREADS` says otherwise).
fn on_smol<T>(body: impl FnOnce(Arc<smol::Executor<'static>>) -> T) -> T {
    let executor = Arc::new(smol::Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let threads: Vec<_> = (0..thread::available_parallelism().map_or(1, usize::from))
        .map(|index| {
            let (executor, stopped) = (Arc::clone(&executor), stopped.clone());
            thread::Builder::new()
                .name(format!("smol-{index}"))
                .spawn(move || smol::block_on(executor.run(stopped.recv())))
                .expect("a thread for the smol executor")
        })
        .collect();
    let result = body(executor);
    drop(stop);
    for thread in threads {
        let _ = thread.join();
    }
    result
}
