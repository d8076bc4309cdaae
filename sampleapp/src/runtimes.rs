//! Running the app on each runtime: the only runtime-specific code in the app.

use std::sync::Arc;
use std::thread;

use pool_async_std::AsyncStdExecutor;
use pool_smol::SmolExecutor;
use pool_tokio::TokioExecutor;

use crate::app::{RunError, run};
use crate::cli::{Args, Runtime};
use crate::stop::Stop;
use crate::summary::Summary;

/// Runs the app on the runtime `args` names.
///
/// # Errors
///
/// If the runtime cannot be set up, or the pool cannot be built or started.
pub fn run_on(args: &Args, stop: &Stop) -> Result<Summary, Box<dyn std::error::Error>> {
    let name = args.runtime.to_string();
    let summary = match args.runtime {
        Runtime::Tokio => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(TokioExecutor::default(), &name, args, stop)),
        Runtime::AsyncStd => {
            async_std::task::block_on(run(AsyncStdExecutor::default(), &name, args, stop))
        }
        Runtime::Smol => {
            on_smol(|executor| smol::block_on(run(SmolExecutor::on(executor), &name, args, stop)))
        }
    };
    summary.map_err(|error: RunError| error.into())
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
