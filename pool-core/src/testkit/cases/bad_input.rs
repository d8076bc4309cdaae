//! Jobs and callers that misbehave: contained and reported, never a crash.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures_lite::StreamExt;

use crate::testkit::{Harness, Latch, builder, panicking};
use crate::{BoxError, Executor, JobContext, JobProcessor, WorkerPool, job_fn};

/// A job whose `name()` panics.
struct Nameless {
    ran: Arc<AtomicUsize>,
}

#[async_trait]
impl JobProcessor for Nameless {
    type Output = ();

    fn name(&self) -> &str {
        panic!("no name for you")
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.ran.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A job whose `name()` panics is not run; its outcome says why, and its status carries a
/// stand-in name. Its worker goes on.
pub(crate) async fn a_job_whose_name_panics_is_contained<H: Harness>() {
    let (pool, results) = builder::<H, ()>().workers(1).build_with_results(8).unwrap();
    pool.start().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let nameless = pool
        .submit(Nameless {
            ran: Arc::clone(&ran),
        })
        .await
        .unwrap();
    match nameless.await {
        Err(error) if error.is_panic() => {
            let message = error.panic_message().unwrap();
            assert!(message.contains("name() panicked") && message.contains("no name for you"));
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    the_worker_survives(&pool).await;
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.panicked, report.stats.completed), (1, 1));
    let names: Vec<String> = results.map(|status| status.name).collect().await;
    assert_eq!(names, ["<name() panicked>", "next"]);
}

/// A panic whose payload is not a string (`panic_any`) is contained and described.
pub(crate) async fn a_panic_with_a_non_string_payload_is_contained<H: Harness>() {
    #[derive(Debug)]
    struct Custom;
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    pool.start().unwrap();
    let handle = pool.submit(panicking("odd-panic", Custom)).await.unwrap();
    match handle.await {
        Err(error) if error.is_panic() => {
            let message = error.panic_message().unwrap();
            assert_eq!(message, "a panic with a non-string payload")
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    the_worker_survives(&pool).await;
    pool.shutdown().await.unwrap();
}

/// A job that drops its context at once (never watching the token) still runs and is
/// reported, and the pool still cancels and stops the others.
pub(crate) async fn a_job_that_drops_its_context_is_fine<H: Harness>() {
    let pool = builder::<H, u32>().workers(2).build().unwrap();
    pool.start().unwrap();
    let careless = pool
        .submit(job_fn("careless", |ctx| {
            drop(ctx);
            async { Ok::<_, BoxError>(1) }
        }))
        .await
        .unwrap();
    assert_eq!(careless.await.unwrap(), 1);
    let started = Arc::new(Latch::new(1));
    let watcher = {
        let started = Arc::clone(&started);
        pool.submit(job_fn("watcher", move |ctx| {
            let started = Arc::clone(&started);
            async move {
                started.count_down();
                ctx.cancelled().await;
                Ok::<_, BoxError>(2)
            }
        }))
        .await
        .unwrap()
    };
    started.wait().await;
    let report = pool.shutdown_now().await.unwrap();
    assert_eq!(watcher.await.unwrap(), 2);
    assert_eq!(report.stats.completed, 2);
}

/// A job whose `Drop` panics.
struct DropBomb;

#[async_trait]
impl JobProcessor for DropBomb {
    type Output = ();

    fn name(&self) -> &str {
        "drop-bomb"
    }

    async fn process(&mut self, _ctx: &JobContext) -> Result<(), BoxError> {
        Ok(())
    }
}

impl Drop for DropBomb {
    fn drop(&mut self) {
        panic!("boom on drop");
    }
}

/// A job whose `Drop` panics keeps its outcome, and its worker survives it.
pub(crate) async fn a_job_that_panics_when_dropped_is_contained<H: Harness>() {
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    pool.start().unwrap();
    pool.submit(DropBomb).await.unwrap().await.unwrap();
    the_worker_survives(&pool).await;
    let report = pool.shutdown().await.unwrap();
    assert_eq!(report.stats.completed, 2);
}

/// The pool's (only) worker still runs a job after what just happened to it.
async fn the_worker_survives<E: Executor, O: Default + Send + 'static>(pool: &WorkerPool<E, O>) {
    let next = pool
        .submit(job_fn("next", |_ctx| async {
            Ok::<_, BoxError>(O::default())
        }))
        .await;
    next.unwrap()
        .await
        .expect("the worker survived and ran the next job");
}
