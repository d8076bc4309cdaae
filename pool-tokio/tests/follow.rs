//! A tokio-util token as a pool's parent (feature `tokio-util`).
#![cfg(feature = "tokio-util")]

use pool_tokio::{BoxError, WorkerPool, follow, job_fn};

#[test]
fn following_needs_a_runtime() {
    let refused = follow(tokio_util::sync::CancellationToken::new()).unwrap_err();
    assert!(refused.to_string().contains("tokio runtime"), "{refused}");
}

#[test]
fn upstream_cancellation_reaches_running_jobs_and_the_intake() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let upstream = tokio_util::sync::CancellationToken::new();
        let pool = WorkerPool::<bool>::builder()
            .workers(1)
            .cancellation(follow(upstream.clone()).unwrap())
            .build()
            .unwrap();
        pool.start().unwrap();
        let (started, running) = tokio::sync::oneshot::channel();
        let job = pool
            .submit(job_fn("waits", move |ctx| async move {
                let _ = started.send(());
                ctx.cancelled().await;
                Ok::<_, BoxError>(true)
            }))
            .await
            .unwrap();
        running.await.unwrap();
        upstream.cancel();
        assert!(
            job.await.unwrap(),
            "the running job saw the upstream cancel"
        );
        assert!(pool.is_closed());
        pool.shutdown().await.unwrap();
    });
}
