//! The three runtimes the cases run on, as the pool's own conformance suite has them.

use pool_core::testkit::Harness;

pub struct Tokio;

impl Harness for Tokio {
    type Executor = pool_tokio::TokioExecutor;

    fn executor() -> Self::Executor {
        pool_tokio::TokioExecutor::default()
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

pub struct AsyncStd;

impl Harness for AsyncStd {
    type Executor = pool_async_std::AsyncStdExecutor;

    fn executor() -> Self::Executor {
        pool_async_std::AsyncStdExecutor::default()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }
}

pub struct Smol;

impl Harness for Smol {
    type Executor = pool_smol::SmolExecutor;

    fn executor() -> Self::Executor {
        pool_smol::SmolExecutor::default()
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }
}

/// One `#[test]` per case and runtime, each under the suite's deadline.
#[macro_export]
macro_rules! on_every_runtime {
    ($($case:ident),* $(,)?) => {
        mod tokio_runtime {
            $(
                #[test]
                fn $case() {
                    pool_core::testkit::run::<$crate::support::runtimes::Tokio>(super::$case::<$crate::support::runtimes::Tokio>());
                }
            )*
        }
        mod async_std_runtime {
            $(
                #[test]
                fn $case() {
                    pool_core::testkit::run::<$crate::support::runtimes::AsyncStd>(super::$case::<$crate::support::runtimes::AsyncStd>());
                }
            )*
        }
        mod smol_runtime {
            $(
                #[test]
                fn $case() {
                    pool_core::testkit::run::<$crate::support::runtimes::Smol>(super::$case::<$crate::support::runtimes::Smol>());
                }
            )*
        }
    };
}
