//! The conformance suite on smol, twice: on the global executor, and on an executor of the
//! user's own, run by two threads.

use std::sync::{Arc, OnceLock};

use pool_core::testkit::Harness;
use pool_smol::SmolExecutor;

mod global {
    use super::*;

    pub(super) struct SmolGlobal;

    impl Harness for SmolGlobal {
        type Executor = SmolExecutor;

        fn executor() -> SmolExecutor {
            SmolExecutor::default()
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            smol::block_on(future)
        }
    }

    pool_core::conformance_suite!(SmolGlobal);
}

mod own_executor {
    use super::*;

    /// One executor for the whole test binary, run forever by two threads.
    fn shared() -> Arc<smol::Executor<'static>> {
        static EXECUTOR: OnceLock<Arc<smol::Executor<'static>>> = OnceLock::new();
        Arc::clone(EXECUTOR.get_or_init(|| {
            let executor = Arc::new(smol::Executor::new());
            for _ in 0..2 {
                let executor = Arc::clone(&executor);
                std::thread::spawn(move || {
                    smol::block_on(executor.run(smol::future::pending::<()>()))
                });
            }
            executor
        }))
    }

    pub(super) struct SmolOwn;

    impl Harness for SmolOwn {
        type Executor = SmolExecutor;

        fn executor() -> SmolExecutor {
            SmolExecutor::on(shared())
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            smol::block_on(future)
        }
    }

    pool_core::conformance_suite!(SmolOwn);
}
