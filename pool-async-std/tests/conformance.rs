//! The conformance suite on async-std's global executor.

use pool_async_std::AsyncStdExecutor;
use pool_core::testkit::Harness;

struct AsyncStd;

impl Harness for AsyncStd {
    type Executor = AsyncStdExecutor;

    fn executor() -> AsyncStdExecutor {
        AsyncStdExecutor::default()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }
}

pool_core::conformance_suite!(AsyncStd);
