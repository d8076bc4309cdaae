//! What jobs produce, and where it goes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_lite::{StreamExt, future};

use crate::testkit::{Harness, Latch, builder, panicking, rendezvous};
use crate::{BoxError, JobContext, JobErrorKind, JobId, job_fn};

/// A value reaches its handle; an error reaches it as `Failed`, with the job's own error.
pub(crate) async fn values_and_errors_reach_the_handles<H: Harness>() {
    let pool = builder::<H, String>().workers(2).build().unwrap();
    pool.start().unwrap();
    let good = pool
        .submit(job_fn("good", |_ctx| async {
            Ok::<_, BoxError>("done".to_owned())
        }))
        .await
        .unwrap();
    let bad = pool
        .submit(job_fn("bad", |_ctx| async {
            Err::<String, BoxError>("boom".into())
        }))
        .await
        .unwrap();
    assert_eq!(good.await.unwrap(), "done");
    match bad.await {
        Err(error) if error.is_failed() => {
            assert_eq!(error.failure().unwrap().to_string(), "boom");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.completed, report.stats.failed), (1, 1));
}

/// A panic becomes `Panicked` with its message (or a description of a non-string payload),
/// and the only worker goes on to run the next job.
pub(crate) async fn panic_is_contained_and_the_worker_survives<H: Harness>() {
    let pool = builder::<H, usize>().workers(1).build().unwrap();
    pool.start().unwrap();
    let with_message = pool.submit(panicking("panics", "kaboom")).await.unwrap();
    let with_payload = pool.submit(panicking("panics-any", 42_u8)).await.unwrap();
    let after = pool
        .submit(job_fn("after", |ctx| async move {
            Ok::<_, BoxError>(ctx.worker_id())
        }))
        .await
        .unwrap();
    match with_message.await {
        Err(error) if error.is_panic() => {
            let message = error.panic_message().unwrap();
            assert!(message.contains("kaboom"), "{message}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    match with_payload.await {
        Err(error) if error.is_panic() => {
            let message = error.panic_message().unwrap();
            assert!(message.contains("non-string"), "{message}");
        }
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(after.await.unwrap(), 0, "the same worker ran the next job");
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.panicked, report.stats.completed), (2, 1));

    // Many panics on many workers: every worker is still there afterwards, as many jobs as
    // workers can wait for each other.
    const WORKERS: usize = 2;
    let pool = builder::<H, ()>().workers(WORKERS).build().unwrap();
    pool.start().unwrap();
    let mut panics = Vec::new();
    for _ in 0..20 {
        panics.push(pool.submit(panicking("bomb", "boom")).await.unwrap());
    }
    for handle in panics {
        assert!(handle.await.unwrap_err().is_panic());
    }
    let everyone_in = Arc::new(Latch::new(WORKERS));
    let mut after = Vec::new();
    for _ in 0..WORKERS {
        after.push(pool.submit(rendezvous(&everyone_in)).await.unwrap());
    }
    for handle in after {
        handle.await.unwrap();
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.panicked, report.stats.completed), (20, 2));
}

/// A job that outlives `job_timeout` is stopped as `TimedOut`; the worker goes on.
pub(crate) async fn job_timeout_stops_a_slow_job<H: Harness>() {
    let limit = Duration::from_millis(50);
    let pool = builder::<H, ()>()
        .workers(1)
        .job_timeout(limit)
        .build()
        .unwrap();
    pool.start().unwrap();
    let stuck = pool
        .submit(job_fn("stuck", |_ctx| {
            future::pending::<Result<_, BoxError>>()
        }))
        .await
        .unwrap();
    let quick = pool
        .submit(job_fn("quick", |_ctx| async { Ok::<_, BoxError>(()) }))
        .await
        .unwrap();
    match stuck.await {
        Err(error) if error.kind() == JobErrorKind::TimedOut => {
            assert_eq!(error.timeout(), Some(limit));
        }
        other => panic!("expected TimedOut, got {other:?}"),
    }
    quick.await.unwrap();
    let report = pool.shutdown().await.unwrap();
    assert_eq!((report.stats.timed_out, report.stats.completed), (1, 1));
}

fn counting_job(runs: &Arc<AtomicUsize>) -> impl crate::JobProcessor<Output = ()> {
    let runs = Arc::clone(runs);
    job_fn("counted", move |_ctx| {
        runs.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok::<_, BoxError>(()))
    })
}

/// Dropping a handle detaches the job: it still runs.
pub(crate) async fn dropped_handles_still_run<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        drop(pool.submit(counting_job(&runs)).await.unwrap());
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 50);
    assert_eq!(report.stats.completed, 50);
}

/// Detached submissions run and are counted.
pub(crate) async fn detached_jobs_run<H: Harness>() {
    let pool = builder::<H, ()>().workers(2).build().unwrap();
    pool.start().unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    for _ in 0..25 {
        pool.submit_detached(counting_job(&runs)).await.unwrap();
        pool.try_submit_detached(counting_job(&runs)).unwrap();
    }
    let report = pool.shutdown().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 50);
    assert_eq!((report.stats.submitted, report.stats.completed), (50, 50));
}

/// The results stream gets one status per job, awaited, dropped or detached, with the same
/// outcome as the handle; it ends after the shutdown.
pub(crate) async fn results_stream_sees_every_job<H: Harness>() {
    // A stream smaller than the number of jobs: workers must wait for the reader.
    let (pool, mut results) = builder::<H, u64>()
        .workers(3)
        .build_with_results(4)
        .unwrap();
    pool.start().unwrap();

    let reader = async move {
        let mut seen = HashMap::new();
        while let Some(status) = results.next().await {
            assert!(
                seen.insert(status.id, status).is_none(),
                "a job was reported twice"
            );
        }
        seen
    };
    let producer = async {
        let mut expected: HashMap<JobId, Result<u64, &str>> = HashMap::new();
        let mut awaited = Vec::new();
        for n in 0..60_u64 {
            let job = job_fn("mixed", move |_ctx| async move {
                match n % 3 {
                    0 => Ok(n),
                    1 => Err(BoxError::from("odd one")),
                    _ => panic!("job {n} panics"),
                }
            });
            let want = match n % 3 {
                0 => Ok(n),
                1 => Err("failed"),
                _ => Err("panicked"),
            };
            let id = match n % 4 {
                0 => {
                    let handle = pool.submit(job).await.unwrap();
                    let id = handle.id();
                    awaited.push(handle);
                    id
                }
                1 => pool.submit(job).await.unwrap().id(),
                _ => pool.submit_detached(job).await.unwrap(),
            };
            expected.insert(id, want);
        }
        let mut from_handles = HashMap::new();
        for handle in awaited {
            let id = handle.id();
            from_handles.insert(id, handle.await);
        }
        pool.shutdown().await.unwrap();
        (expected, from_handles)
    };
    let (seen, (expected, from_handles)) = future::zip(reader, producer).await;

    assert_eq!(seen.len(), expected.len(), "one status per job");
    for (id, want) in &expected {
        let status = &seen[id];
        assert_eq!(status.name, "mixed");
        match (want, &status.outcome) {
            (Ok(value), Ok(got)) => assert_eq!(value, got),
            (Err("failed"), Err(error)) if error.is_failed() => {}
            (Err("panicked"), Err(error)) if error.is_panic() => {}
            (want, got) => panic!("{id}: expected {want:?}, the stream said {got:?}"),
        }
    }
    for (id, outcome) in from_handles {
        match (outcome, &seen[&id].outcome) {
            (Ok(a), Ok(b)) => assert_eq!(a, *b),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("{id}: the handle said {a:?}, the stream {b:?}"),
        }
    }
}

/// A job's context names the job, its worker and its pool.
pub(crate) async fn context_describes_the_job<H: Harness>() {
    let pool = builder::<H, (u64, String, usize, String, u64)>()
        .name("described")
        .workers(3)
        .build()
        .unwrap();
    pool.start().unwrap();
    let handle = pool
        .submit(job_fn("self-aware", |ctx| async move {
            Ok::<_, BoxError>((
                ctx.job_id().get(),
                ctx.job_name().to_owned(),
                ctx.worker_id(),
                ctx.pool_name().to_owned(),
                ctx.pool_id(),
            ))
        }))
        .await
        .unwrap();
    let id = handle.id();
    let (job_id, job_name, worker_id, pool_name, pool_id) = handle.await.unwrap();
    assert_eq!(job_id, id.get());
    assert_eq!(job_name, "self-aware");
    assert!(worker_id < 3);
    assert_eq!(pool_name, "described");
    assert_eq!(pool_id, pool.id());
    pool.shutdown().await.unwrap();
}

/// A context kept past its job (a clone sent out of it) still describes that job, while the
/// same worker runs the next ones under other names. The names come back after others, and
/// after more of them than a worker keeps at hand, so that the one worker both reuses and lets
/// go of what it shares between the contexts of jobs of one name.
pub(crate) async fn a_kept_context_describes_its_own_job<H: Harness>() {
    let pool = builder::<H, JobContext>()
        .name("keeper")
        .workers(1)
        .build()
        .unwrap();
    pool.start().unwrap();
    let mut names: Vec<String> = ["first", "second", "first", "third", "second", "first"]
        .map(String::from)
        .into();
    names.extend((0..12).map(|kind| format!("kind-{kind}")));
    names.extend(["first", "kind-11", "second"].map(String::from));
    let mut kept = Vec::new();
    for name in names {
        let handle = pool
            .submit(job_fn(name.clone(), |ctx| async move { Ok(ctx) }))
            .await
            .unwrap();
        let id = handle.id();
        kept.push((id, name, handle.await.unwrap()));
    }
    for (id, name, ctx) in &kept {
        assert_eq!(ctx.job_id(), *id);
        assert_eq!(ctx.job_name(), name);
        assert_eq!(ctx.pool_name(), "keeper");
        assert_eq!(ctx.pool_id(), pool.id());
        assert_eq!(ctx.worker_id(), 0);
    }
    pool.shutdown().await.unwrap();
}

/// A job is dropped before its outcome is told: what it holds is free when the caller hears.
pub(crate) async fn a_job_is_dropped_before_its_handle_resolves<H: Harness>() {
    let pool = builder::<H, ()>().workers(1).build().unwrap();
    pool.start().unwrap();
    let held = Arc::new(());
    let job = {
        let held = Arc::clone(&held);
        job_fn("holder", move |_ctx| {
            let _still_here = &held;
            std::future::ready(Ok::<_, BoxError>(()))
        })
    };
    pool.submit(job).await.unwrap().await.unwrap();
    assert_eq!(
        Arc::strong_count(&held),
        1,
        "the job was still alive when its handle resolved"
    );
    pool.shutdown().await.unwrap();
}
