//! Starting a pool where tokio cannot spawn: a typed error that changes nothing.

use pool_tokio::{BoxError, StartError, WorkerPool, job_fn};

#[test]
fn start_outside_a_runtime_is_a_typed_error_and_changes_nothing() {
    let pool = WorkerPool::<u32>::builder().workers(1).build().unwrap();
    let handle = pool
        .try_submit(job_fn("seven", |_ctx| async { Ok::<_, BoxError>(7) }))
        .unwrap();

    let refused = pool.start().unwrap_err();
    assert!(matches!(refused, StartError::NoRuntime(_)), "{refused:?}");
    // The why, with its way out, is the error's source.
    let why = std::error::Error::source(&refused).expect("the runtime's refusal is the source");
    assert!(why.to_string().contains("with_handle"), "{why}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        pool.start().expect("the pool was left unstarted");
        assert_eq!(handle.await.unwrap(), 7);
        let report = pool.shutdown().await.unwrap();
        assert_eq!(report.stats.completed, 1);
    });
}
