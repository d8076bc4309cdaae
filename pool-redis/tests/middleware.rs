//! Middleware around a consumer's jobs, against a real redis-server, on every runtime: the
//! order layers run in, what they see, and the errors they map.

mod support;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{BoxError, Finished, Middleware, Next, RemoteContext, RemoteOutcome};
use pool_redis::{RetryPolicy, async_trait};
use support::{Probe, Setup, drained, eventually, probe_consumer, ran, runs};

/// What the layers saw, in order.
type Journal = Arc<Mutex<Vec<String>>>;

fn note(journal: &Journal, line: String) {
    journal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(line);
}

/// Notes its name before and after each job, with the job's kind, attempt and the shared
/// state's greeting.
struct Layer {
    name: &'static str,
    journal: Journal,
}

/// State the consumer shares with its jobs and middleware.
struct Greeting(&'static str);

#[async_trait]
impl Middleware for Layer {
    async fn around(&self, ctx: &RemoteContext, next: Next<'_>) -> Result<Finished, BoxError> {
        let greeting = ctx.data::<Greeting>()?.0;
        let seen = format!("{} {} {greeting}", ctx.kind(), ctx.attempt());
        note(&self.journal, format!("{} before {seen}", self.name));
        let ran = next.run().await;
        let how = if ran.is_ok() { "after" } else { "on failure" };
        note(&self.journal, format!("{} {how}", self.name));
        ran
    }
}

/// Turns the poison probes' error into a success: known to be harmless.
struct ForgivePoison;

#[async_trait]
impl Middleware for ForgivePoison {
    async fn around(&self, _ctx: &RemoteContext, next: Next<'_>) -> Result<Finished, BoxError> {
        match next.run().await {
            Err(error) if error.to_string().starts_with("poison") => Ok(Finished::without_output()),
            ran => ran,
        }
    }
}

/// Two layers run outer then inner before the job and inner then outer after it, each
/// seeing the job's context and the shared state; a failure passes through both as a
/// failure; a third layer maps the poison job's error to a success, so it is acknowledged
/// after one run instead of retried.
pub async fn layers_wrap_each_job_in_order<H: Harness>() {
    let Some(setup) = Setup::start::<H>("middleware").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let journal = Journal::default();
    let flaky = Probe {
        fail_before_attempt: 2,
        ..Probe::new(&test)
    };
    let poison = Probe {
        poison: true,
        ..Probe::new(&test)
    };
    setup.producer.enqueue(&flaky).await.unwrap();
    let consumer = probe_consumer::<H>(&url, &queue)
        .workers(1)
        .data(Greeting("hello"))
        .retry(RetryPolicy::new(3).with_first_backoff(Duration::from_millis(20)))
        .keep_outcomes(Duration::from_secs(60))
        .promote_every(Duration::from_millis(20))
        .middleware(Layer {
            name: "outer",
            journal: Arc::clone(&journal),
        })
        .middleware(Layer {
            name: "inner",
            journal: Arc::clone(&journal),
        })
        .middleware(ForgivePoison)
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("the flaky job to succeed", || drained(&url, &queue)).await;
        let lines = journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert_eq!(
            lines,
            [
                "outer before probe 1 hello",
                "inner before probe 1 hello",
                "inner on failure",
                "outer on failure",
                "outer before probe 2 hello",
                "inner before probe 2 hello",
                "inner after",
                "outer after",
            ]
        );
        let forgiven = setup.producer.enqueue(&poison).await.unwrap();
        eventually("the poison job to be forgiven", || async {
            runs(&test).len() == 3 && drained(&url, &queue).await
        })
        .await;
        let outcome = setup
            .producer
            .wait_outcome(forgiven, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(
            outcome,
            Some(RemoteOutcome::Completed(serde_json::Value::Null))
        );
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(
        (stats.acknowledged, stats.retried, stats.dead_lettered),
        (2, 1, 0)
    );
}

on_every_runtime!(layers_wrap_each_job_in_order);
