//! Time in the queue, against a real redis-server, on every runtime: delayed and scheduled
//! jobs, retries that wait in the delayed set past the visibility timeout, and outcomes that
//! are those of a job's latest run.

mod support;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{
    ConsumerBuilder, DeadLetters, Jitter, Queue, RemoteOutcome, RetryPolicy, queue_stats,
};
use support::{Probe, Setup, drained, eventually, open_gate, probe_consumer, ran, starts};
use uuid::Uuid;

/// A consumer that looks for due jobs often, with quick reclaims.
fn consumer<H: Harness>(url: &str, queue: &Queue) -> ConsumerBuilder<H::Executor> {
    probe_consumer::<H>(url, queue)
        .workers(8)
        .prefetch(32)
        .visibility_timeout(Duration::from_millis(600))
        .reclaim_every(Duration::from_millis(50))
        .promote_every(Duration::from_millis(100))
}

/// Milliseconds from `earlier` to `later` (negative if `later` is earlier).
fn millis_between(earlier: SystemTime, later: SystemTime) -> i64 {
    match later.duration_since(earlier) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Three consumers promote at once: each of 10,000 jobs delayed by 0 to 2 s runs exactly
/// once, and none starts before it is due. (How late they start, the benchmark measures: a
/// test does not assert a speed.)
pub async fn delayed_jobs_run_once_and_never_early<H: Harness>() {
    let Some(setup) = Setup::start::<H>("delayed").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let mut due_by_key: HashMap<Uuid, SystemTime> = HashMap::new();
    for step in 0..100_u64 {
        let delay = Duration::from_millis(step * 20);
        let jobs: Vec<Probe> = (0..100).map(|_| Probe::new(&test)).collect();
        // Redis dates the delay from its own now, which is after this one.
        let not_before = SystemTime::now() + delay;
        let keys = setup.producer.enqueue_many_in(&jobs, delay).await.unwrap();
        due_by_key.extend(keys.into_iter().map(|key| (key, not_before)));
    }
    let waiting = queue_stats(&url, &queue).await.unwrap();
    assert!(
        waiting.delayed > 0 && waiting.next_due.is_some(),
        "{waiting:?}"
    );
    let mut consumers = Vec::new();
    for _ in 0..3 {
        // Leases no loaded host lets lapse: a lapsed lease is a second start by design (at
        // least once), which "exactly once" here must not count against the promotion.
        let consumer = consumer::<H>(&url, &queue).visibility_timeout(Duration::from_secs(10));
        consumers.push(consumer.connect().await.unwrap());
    }
    let body = async {
        eventually("every delayed job to run", || drained(&url, &queue)).await;
        let mut stats = Vec::new();
        for consumer in &consumers {
            stats.push(consumer.shutdown().await);
        }
        stats
    };
    let running = future::zip(
        future::zip(ran(&consumers[0]), ran(&consumers[1])),
        ran(&consumers[2]),
    );
    let (_, stats) = future::zip(running, body).await;
    let promoted: u64 = stats.iter().map(|stats| stats.promoted).sum();
    let acknowledged: u64 = stats.iter().map(|stats| stats.acknowledged).sum();
    assert_eq!((promoted, acknowledged), (10000, 10000), "{stats:?}");
    let started = starts(&test);
    let mut once: HashMap<Uuid, usize> = HashMap::new();
    for (key, attempt, at) in &started {
        *once.entry(*key).or_default() += 1;
        assert_eq!(*attempt, 1, "{key} ran as attempt {attempt}");
        let late = millis_between(due_by_key[key], *at);
        assert!(late >= 0, "{key} started {}ms early", -late);
    }
    assert_eq!(once.len(), 10000, "every job ran");
    assert!(once.values().all(|runs| *runs == 1), "each job once");
}

/// A job that fails three times then succeeds waits out each back-off in the delayed set,
/// though every back-off is longer than the visibility timeout: no reclaim happens, and
/// each retry starts no sooner than its window (no jitter here).
pub async fn retries_wait_past_the_visibility_timeout<H: Harness>() {
    let Some(setup) = Setup::start::<H>("backoff").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let flaky = Probe {
        fail_before_attempt: 4,
        ..Probe::new(&test)
    };
    let key = setup.producer.enqueue(&flaky).await.unwrap();
    let policy = RetryPolicy::new(5)
        .with_first_backoff(Duration::from_millis(300))
        .with_jitter(Jitter::None);
    let consumer = consumer::<H>(&url, &queue)
        .visibility_timeout(Duration::from_millis(150))
        .retry(policy)
        .keep_outcomes(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    let body = async {
        let outcome = setup
            .producer
            .wait_outcome(key, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(outcome, Some(RemoteOutcome::Completed(4.into())));
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(
        (
            stats.retried,
            stats.retries_taken,
            stats.reclaimed,
            stats.acknowledged
        ),
        (3, 3, 0, 1),
        "{stats:?}"
    );
    let mut runs = starts(&test);
    runs.sort_by_key(|(_, attempt, _)| *attempt);
    let attempts: Vec<u32> = runs.iter().map(|(_, attempt, _)| *attempt).collect();
    assert_eq!(attempts, [1, 2, 3, 4]);
    for pair in runs.windows(2) {
        let (failed, next) = (&pair[0], &pair[1]);
        let gap = millis_between(failed.2, next.2);
        let window = policy.window(failed.1).as_millis() as i64;
        assert!(
            gap >= window,
            "attempt {} started {gap} ms after attempt {}, before its {window} ms back-off",
            next.1,
            failed.1
        );
    }
}

/// A job scheduled an hour ahead waits in the delayed set, counted and dated; one scheduled
/// in the past runs at once.
pub async fn scheduled_jobs_wait_for_their_time<H: Harness>() {
    let Some(setup) = Setup::start::<H>("scheduled").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
    let later = setup
        .producer
        .enqueue_at(&Probe::new(&test), in_an_hour)
        .await
        .unwrap();
    let past = SystemTime::now() - Duration::from_secs(60);
    let now = setup
        .producer
        .enqueue_at(&Probe::new(&test), past)
        .await
        .unwrap();
    let waiting = queue_stats(&url, &queue).await.unwrap();
    assert_eq!((waiting.delayed, waiting.length), (2, 0), "{waiting:?}");
    let next_due = waiting.next_due.expect("a job is delayed");
    assert!(next_due <= SystemTime::now(), "the past one is due first");
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the past job to run", || async {
            starts(&test).iter().any(|(key, ..)| *key == now)
        })
        .await;
        let waiting = queue_stats(&url, &queue).await.unwrap();
        assert_eq!(waiting.delayed, 1, "{waiting:?}");
        let next_due = waiting.next_due.expect("the later job is delayed");
        let off = millis_between(in_an_hour, next_due).abs();
        assert!(off < 1000, "due {off} ms away from when it was asked for");
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.promoted, stats.acknowledged), (1, 1), "{stats:?}");
    assert!(starts(&test).iter().all(|(key, ..)| *key != later));
}

/// A dead-lettered job's outcome is replaced by its next run's once it is re-queued: a
/// producer waiting for it sees the new run, not the old dead letter.
pub async fn a_requeued_jobs_outcome_is_its_latest_runs<H: Harness>() {
    let Some(setup) = Setup::start::<H>("latest").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let gate = format!("{test}/fixed");
    let key = setup
        .producer
        .enqueue(&Probe {
            fail_until_gate: Some(gate.clone()),
            ..Probe::new(&test)
        })
        .await
        .unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .retry(RetryPolicy::new(2).with_first_backoff(Duration::from_millis(20)))
        .keep_outcomes(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    let body = async {
        let outcome = setup
            .producer
            .wait_outcome(key, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(
            matches!(outcome, Some(RemoteOutcome::DeadLettered { .. })),
            "{outcome:?}"
        );
        open_gate(&gate);
        let letters = dead.list(10).await.unwrap();
        assert_eq!(letters.len(), 1, "{letters:?}");
        assert!(dead.requeue(&letters[0].id).await.unwrap());
        let outcome = setup
            .producer
            .wait_outcome(key, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(outcome, Some(RemoteOutcome::Completed(1.into())));
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(
        (stats.dead_lettered, stats.acknowledged),
        (1, 1),
        "{stats:?}"
    );
}

on_every_runtime!(
    delayed_jobs_run_once_and_never_early,
    retries_wait_past_the_visibility_timeout,
    scheduled_jobs_wait_for_their_time,
    a_requeued_jobs_outcome_is_its_latest_runs,
);
