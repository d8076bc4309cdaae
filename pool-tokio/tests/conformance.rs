//! The conformance suite on tokio's multi-threaded runtime, with two workers as on CI.

use pool_core::testkit::Harness;
use pool_tokio::TokioExecutor;

struct Tokio;

impl Harness for Tokio {
    type Executor = TokioExecutor;

    fn executor() -> TokioExecutor {
        TokioExecutor::default()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(future)
    }
}

pool_core::conformance_suite!(Tokio);
