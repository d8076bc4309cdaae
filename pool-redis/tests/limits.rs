//! Limits on a kind's starts across consumers, against a real redis-server, on every
//! runtime: a rate that holds in every window, a concurrency never exceeded, and the slots
//! of a consumer that died coming back within one visibility timeout.

mod support;

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{BoxError, ConfigError, Consumer, ConsumerBuilder, Queue, QueueError, RateLimit};
use pool_redis::{Registry, RemoteContext, RemoteJob, queue_stats};
use serde::{Deserialize, Serialize};
use support::{Probe, Setup, drained, eventually, most_running, open_gate, probe_consumer, ran};
use support::{runs, starts};

fn consumer<H: Harness>(url: &str, queue: &Queue) -> ConsumerBuilder<H::Executor> {
    probe_consumer::<H>(url, queue)
        .workers(4)
        .visibility_timeout(Duration::from_secs(1))
        .reclaim_every(Duration::from_millis(50))
}

/// Runs three consumers built by `build` until `done`, then stops them.
async fn three_consumers<H: Harness, Done: Future<Output = ()>>(
    build: impl Fn() -> ConsumerBuilder<H::Executor>,
    done: Done,
) -> pool_redis::ConsumerStats {
    let mut consumers = Vec::new();
    for _ in 0..3 {
        consumers.push(build().connect().await.unwrap());
    }
    let body = async {
        done.await;
        for consumer in &consumers {
            consumer.shutdown().await;
        }
    };
    let running = async {
        let (first, (second, third)) = future::zip(
            ran(&consumers[0]),
            future::zip(ran(&consumers[1]), ran(&consumers[2])),
        )
        .await;
        first + second + third
    };
    future::zip(running, body).await.0
}

/// 500 jobs of a kind limited to 50 a second (burst 5), three consumers: in every window of
/// one second, at most 55 started (the documented bound: burst + rate × window), give or
/// take what the clock here sees: a start is recorded after its admission in Redis, a round
/// trip later, so the window of records spans up to 100 ms more of admissions on a loaded
/// machine (5 more starts). Each ran once, on its first attempt (waiting uses none).
pub async fn a_rate_limit_holds_in_every_window<H: Harness>() {
    let Some(setup) = Setup::start::<H>("rate").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let jobs: Vec<Probe> = (0..500).map(|_| Probe::new(&test)).collect();
    setup.producer.enqueue_many(&jobs).await.unwrap();
    let limit = RateLimit::per_second(50);
    assert_eq!(limit.burst(), 5);
    let build = || consumer::<H>(&url, &queue).rate_limit::<Probe>(limit);
    let stats = three_consumers::<H, _>(build, async {
        eventually("every job to run", || drained(&url, &queue)).await;
    })
    .await;
    assert_eq!(stats.acknowledged, 500, "{stats:?}");
    assert!(
        stats.over_limit > 0,
        "the backlog waited for turns: {stats:?}"
    );
    assert!(runs(&test).iter().all(|(_, attempt)| *attempt == 1));
    let mut times: Vec<SystemTime> = starts(&test).into_iter().map(|(_, _, at)| at).collect();
    times.sort();
    let most_in_a_second = (0..times.len())
        .map(|first| {
            let end = times[first] + Duration::from_secs(1);
            times[first..].iter().take_while(|at| **at < end).count()
        })
        .max()
        .unwrap();
    assert!(
        most_in_a_second <= 55 + 5,
        "{most_in_a_second} jobs started within one second"
    );
}

/// 60 jobs of a kind limited to 5 at once, three consumers of 4 workers: never more than 5
/// ran at once, and each ran once.
pub async fn a_concurrency_limit_is_never_exceeded<H: Harness>() {
    let Some(setup) = Setup::start::<H>("concurrency").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let jobs: Vec<Probe> = (0..60)
        .map(|_| Probe {
            work_ms: 30,
            running: Some(test.clone()),
            ..Probe::new(&test)
        })
        .collect();
    setup.producer.enqueue_many(&jobs).await.unwrap();
    let build = || consumer::<H>(&url, &queue).concurrency_limit::<Probe>(5);
    let stats = three_consumers::<H, _>(build, async {
        eventually("every job to run", || drained(&url, &queue)).await;
    })
    .await;
    assert_eq!(stats.acknowledged, 60, "{stats:?}");
    let (most, now) = most_running(&test);
    assert!(most <= 5, "{most} ran at once");
    assert_eq!(now, 0);
    assert!(runs(&test).iter().all(|(_, attempt)| *attempt == 1));
}

/// A consumer holding both slots of a kind limited to 2 dies (its loops dropped: nothing
/// renews or gives back): the slots come free within one visibility timeout, and a new
/// consumer runs the waiting jobs and the dead one's.
pub async fn a_dead_consumers_slots_come_back<H: Harness>() {
    let Some(setup) = Setup::start::<H>("dead-slots").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let gate = format!("{test}/gate");
    let held: Vec<Probe> = (0..2)
        .map(|_| Probe {
            gate: Some(gate.clone()),
            ..Probe::new(&test)
        })
        .collect();
    setup.producer.enqueue_many(&held).await.unwrap();
    let limited = || consumer::<H>(&url, &queue).concurrency_limit::<Probe>(2);
    let dying = limited().connect().await.unwrap();
    let died_at = future::or(
        async {
            let _ = dying.run().await;
            unreachable!("the dying consumer runs until dropped");
        },
        async {
            eventually("both slots taken", || async { starts(&test).len() == 2 }).await;
            Instant::now()
        },
    )
    .await;
    // Its loops are gone; its two runs may end now (nothing settles them).
    open_gate(&gate);
    let waiting: Vec<Probe> = (0..3).map(|_| Probe::new(&test)).collect();
    setup.producer.enqueue_many(&waiting).await.unwrap();
    let living = limited().connect().await.unwrap();
    let body = async {
        eventually("every job to run", || async {
            runs(&test).len() >= 7 && drained(&url, &queue).await
        })
        .await;
        living.shutdown().await
    };
    let (_, stats) = future::zip(ran(&living), body).await;
    let waited = died_at.elapsed();
    assert!(
        stats.over_limit > 0,
        "the new jobs waited for a slot: {stats:?}"
    );
    assert!(
        waited < Duration::from_secs(30),
        "the slots took {waited:?} to come back"
    );
    let now = queue_stats(&url, &queue).await.unwrap();
    assert_eq!((now.length, now.delayed, now.pending), (0, 0, 0));
}

/// Another kind, that counts its runs.
#[derive(Serialize, Deserialize)]
struct Quick(String);

static QUICK_RUNS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl RemoteJob for Quick {
    const KIND: &'static str = "quick";
    type Output = ();

    async fn run(self, _ctx: RemoteContext) -> Result<(), BoxError> {
        QUICK_RUNS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.0);
        Ok(())
    }
}

fn quick_runs(test: &str) -> usize {
    let runs = QUICK_RUNS.lock().unwrap_or_else(PoisonError::into_inner);
    runs.iter().filter(|run| *run == test).count()
}

/// A consumer of 4 workers with a local limit of 1 on the probes: three probes held at a
/// gate run one at a time (the others wait on their workers), and another kind's jobs run
/// meanwhile on the worker left.
pub async fn a_local_limit_holds_in_its_consumer_and_other_kinds_run<H: Harness>() {
    let Some(setup) = Setup::start::<H>("local-limit").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let gate = format!("{test}/gate");
    let gated: Vec<Probe> = (0..3)
        .map(|_| Probe {
            gate: Some(gate.clone()),
            running: Some(test.clone()),
            ..Probe::new(&test)
        })
        .collect();
    setup.producer.enqueue_many(&gated).await.unwrap();
    let quick: Vec<Quick> = (0..5).map(|_| Quick(test.clone())).collect();
    setup.producer.enqueue_many(&quick).await.unwrap();
    let consumer = Consumer::builder(
        &url,
        queue.clone(),
        Registry::new().register::<Probe>().register::<Quick>(),
        H::executor(),
    )
    .workers(4)
    .local_concurrency_limit::<Probe>(1)
    .connect()
    .await
    .unwrap();
    let body = async {
        eventually("a probe to start", || async { !starts(&test).is_empty() }).await;
        eventually("the other kind's jobs to run", || async {
            quick_runs(&test) == 5
        })
        .await;
        assert_eq!(starts(&test).len(), 1, "one probe at a time");
        open_gate(&gate);
        eventually("every job to run", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 8);
    assert_eq!(most_running(&test), (1, 0));
}

/// Limits that cannot work are refused before anything is sent.
pub async fn bad_limits_are_typed_errors<H: Harness>() {
    let queue = Queue::new("never");
    let url = "redis://127.0.0.1:1";
    let refused = consumer::<H>(url, &queue)
        .rate_limit::<Probe>(RateLimit::new(0, Duration::from_secs(1)))
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Config(ConfigError::BadRateLimit(kind)) if kind == "probe")
    );
    let refused = consumer::<H>(url, &queue)
        .concurrency_limit::<Probe>(0)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Config(ConfigError::ZeroConcurrency(kind)) if kind == "probe")
    );
    let refused = consumer::<H>(url, &queue)
        .local_concurrency_limit::<Probe>(0)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Config(ConfigError::ZeroConcurrency(kind)) if kind == "probe")
    );
}

on_every_runtime!(
    a_rate_limit_holds_in_every_window,
    a_concurrency_limit_is_never_exceeded,
    a_dead_consumers_slots_come_back,
    a_local_limit_holds_in_its_consumer_and_other_kinds_run,
    bad_limits_are_typed_errors,
);
