//! Cancelling jobs by their key against a real redis-server, on every runtime: a delayed job
//! is removed at once, a queued one never starts, a running one sees its cancellation, and a
//! cancel racing a start ends the job one way or the other, never both, never neither.

mod support;

use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{Cancel, ConsumerBuilder, Queue, RemoteOutcome, queue_stats};
use support::{Probe, Setup, drained, eventually, probe_consumer, ran, runs};

/// A consumer that keeps outcomes and renews leases often (a running job's cancel arrives
/// with a renewal).
fn consumer<H: Harness>(url: &str, queue: &Queue) -> ConsumerBuilder<H::Executor> {
    probe_consumer::<H>(url, queue)
        .workers(4)
        .visibility_timeout(Duration::from_millis(300))
        .keep_outcomes(Duration::from_secs(60))
}

/// A delayed job is removed at once; a queued one is settled as cancelled by the consumer
/// that reaches it, without running; both outcomes are `Cancelled`.
pub async fn delayed_and_queued_jobs_end_cancelled<H: Harness>() {
    let Some(setup) = Setup::start::<H>("cancel-queued").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let delayed = producer
        .enqueue_in(&Probe::new(&test), Duration::from_secs(3600))
        .await
        .unwrap();
    let queued = producer.enqueue(&Probe::new(&test)).await.unwrap();
    let kept = producer.enqueue(&Probe::new(&test)).await.unwrap();
    assert_eq!(producer.cancel(delayed).await.unwrap(), Cancel::Removed);
    assert_eq!(producer.cancel(queued).await.unwrap(), Cancel::Requested);
    let waiting = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(waiting.delayed, 0, "{waiting:?}");
    let outcome = producer
        .wait_outcome(delayed, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(outcome, Some(RemoteOutcome::Cancelled));

    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        let outcome = producer
            .wait_outcome(queued, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(outcome, Some(RemoteOutcome::Cancelled));
        let outcome = producer
            .wait_outcome(kept, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(outcome, Some(RemoteOutcome::Completed(1.into())));
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.cancelled, stats.acknowledged), (1, 1), "{stats:?}");
    let ran: Vec<_> = runs(&test).into_iter().map(|(key, _)| key).collect();
    assert_eq!(ran, [kept], "only the job not cancelled ran");
    let end = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(end.cancelled_total, 2, "{end:?}");
    assert_eq!(producer.cancel(kept).await.unwrap(), Cancel::Finished);
}

/// A running job sees its cancellation at the consumer's next lease renewal and ends
/// cancelled; it is not retried.
pub async fn a_running_job_sees_its_cancel<H: Harness>() {
    let Some(setup) = Setup::start::<H>("cancel-running").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let key = producer
        .enqueue(&Probe {
            until_cancelled: true,
            ..Probe::new(&test)
        })
        .await
        .unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the job to start", || async { !runs(&test).is_empty() }).await;
        assert_eq!(producer.cancel(key).await.unwrap(), Cancel::Requested);
        let outcome = producer
            .wait_outcome(key, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(outcome, Some(RemoteOutcome::Cancelled));
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(
        (stats.cancelled, stats.retried, stats.acknowledged),
        (1, 0, 0),
        "{stats:?}"
    );
    assert_eq!(runs(&test).len(), 1, "ran once, not retried");
}

/// Cancels racing the starts of 200 short jobs: each job ends either completed (it ran, once)
/// or cancelled (it never ran), never both and never neither.
pub async fn a_cancel_racing_a_start_has_one_outcome<H: Harness>() {
    let Some(setup) = Setup::start::<H>("cancel-race").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let jobs: Vec<Probe> = (0..200)
        .map(|_| Probe {
            work_ms: 5,
            ..Probe::new(&test)
        })
        .collect();
    let keys = producer.enqueue_many(&jobs).await.unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        for key in &keys {
            producer.cancel(*key).await.unwrap();
        }
        eventually("the queue to drain", || drained(&url, &queue)).await;
        let mut outcomes = Vec::new();
        for key in &keys {
            let outcome = producer
                .wait_outcome(*key, Duration::from_secs(5))
                .await
                .unwrap();
            outcomes.push(outcome);
        }
        (outcomes, consumer.shutdown().await)
    };
    let (_, (outcomes, stats)) = future::zip(ran(&consumer), body).await;
    let completed = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Some(RemoteOutcome::Completed(_))))
        .count();
    let cancelled = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Some(RemoteOutcome::Cancelled)))
        .count();
    assert_eq!(
        completed + cancelled,
        keys.len(),
        "one outcome each: {outcomes:?}"
    );
    assert_eq!(
        (stats.acknowledged, stats.cancelled),
        (completed as u64, cancelled as u64),
        "{stats:?}"
    );
    let ran = runs(&test);
    for (key, outcome) in keys.iter().zip(&outcomes) {
        let runs_of = ran.iter().filter(|(ran, _)| ran == key).count();
        match outcome {
            Some(RemoteOutcome::Completed(_)) => assert_eq!(runs_of, 1, "{key}"),
            // These jobs never fail, so a cancelled one is one the cancel reached before it
            // started (once started, it succeeds first).
            _ => assert_eq!(runs_of, 0, "{key} was cancelled after it ran"),
        }
    }
}

on_every_runtime!(
    delayed_and_queued_jobs_end_cancelled,
    a_running_job_sees_its_cancel,
    a_cancel_racing_a_start_has_one_outcome,
);
