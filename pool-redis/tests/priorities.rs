//! Consumers of several queues against a real redis-server, on every runtime: weighted
//! shares under a backlog on every queue, strict order checked while it runs, and a job on
//! an idle queue read at once.

mod support;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{
    ConfigError, Consumer, ConsumerBuilder, Producer, Queue, QueueError, Queues, Registry,
    queue_stats,
};
use support::server::RedisServer;
use support::{Probe, drained, eventually, ran, sleep, starts};

fn consumer<H: Harness>(url: &str, queues: Queues) -> ConsumerBuilder<H::Executor> {
    Consumer::builder(
        url,
        queues,
        Registry::new().register::<Probe>(),
        H::executor(),
    )
    .workers(4)
}

/// The name a queue's probes record under, unique per runtime.
fn test_of<H: Harness>(case: &str, queue: &str) -> String {
    format!("{case}/{queue}/{}", std::any::type_name::<H>())
}

/// Enqueues `count` probes (as `probe` says) in `queue`, recording under its test name.
async fn fill<H: Harness>(url: &str, case: &str, queue: &Queue, count: usize, probe: Probe) {
    let producer = Producer::connect(url, queue.clone()).await.unwrap();
    let test = test_of::<H>(case, queue.name());
    let jobs: Vec<Probe> = (0..count)
        .map(|_| Probe {
            test: test.clone(),
            ..probe.clone()
        })
        .collect();
    for chunk in jobs.chunks(1000) {
        producer.enqueue_many(chunk).await.unwrap();
    }
}

/// Three queues weighted 6, 3 and 1, each with a backlog deeper than the jobs counted, and
/// three consumers: of the first 3,000 jobs started, each queue's share is within 5 % of its
/// weight's (60 / 30 / 10 %).
pub async fn weighted_queues_share_by_weight<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let case = "weighted";
    let names = [("critical", 6), ("default", 3), ("low", 1)];
    let queues = Queues::weighted(names.map(|(name, weight)| (Queue::new(name), weight)));
    for (name, _) in names {
        fill::<H>(&url, case, &Queue::new(name), 3_000, Probe::default()).await;
    }
    let consumers = [(); 3].map(|()| consumer::<H>(&url, queues.clone()));
    let mut connected = Vec::new();
    for builder in consumers {
        connected.push(builder.connect().await.unwrap());
    }
    let started = || {
        names
            .iter()
            .map(|(name, _)| starts(&test_of::<H>(case, name)).len())
            .sum::<usize>()
    };
    let body = async {
        eventually("3,000 jobs to start", || async { started() >= 3_000 }).await;
        for consumer in &connected {
            consumer.shutdown_now().await;
        }
    };
    let running = async {
        future::zip(
            ran(&connected[0]),
            future::zip(ran(&connected[1]), ran(&connected[2])),
        )
        .await;
    };
    future::zip(running, body).await;
    // The first 3,000 starts, by time, by queue.
    let mut all: Vec<(SystemTime, &str)> = names
        .iter()
        .flat_map(|(name, _)| {
            starts(&test_of::<H>(case, name))
                .into_iter()
                .map(move |(_, _, at)| (at, *name))
        })
        .collect();
    all.sort();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, name) in all.iter().take(3_000) {
        *counts.entry(name).or_default() += 1;
    }
    for (name, weight) in names {
        let expected = 3_000 * weight as usize / 10;
        let got = counts.get(name).copied().unwrap_or(0);
        assert!(
            got.abs_diff(expected) * 20 <= expected,
            "{name}: {got} of 3,000 where {expected} ± 5 % was expected ({counts:?})"
        );
    }
}

/// Strict order, checked while it runs: a watcher reads how many low-queue jobs have started,
/// then whether the high queue still has jobs waiting; whenever it has, no low job may have
/// started before (the high queue only shrinks, so it had them waiting then too).
pub async fn strict_order_starts_no_lower_job_while_a_higher_one_waits<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let case = "strict";
    let (high, low) = (Queue::new("high"), Queue::new("low"));
    let slow = Probe {
        work_ms: 5,
        ..Probe::default()
    };
    fill::<H>(&url, case, &high, 200, slow).await;
    fill::<H>(&url, case, &low, 200, Probe::default()).await;
    let queues = Queues::strict([high.clone(), low.clone()]);
    let mut connected = Vec::new();
    for _ in 0..3 {
        let builder = consumer::<H>(&url, queues.clone()).workers(2);
        connected.push(builder.connect().await.unwrap());
    }
    let low_test = test_of::<H>(case, "low");
    let body = async {
        let mut looks = 0;
        loop {
            let low_started = starts(&low_test).len();
            let waiting = queue_stats(&url, &high).await.unwrap().undelivered;
            if waiting == 0 {
                break;
            }
            looks += 1;
            assert_eq!(
                low_started, 0,
                "a low job started while {waiting} high jobs waited"
            );
            sleep(Duration::from_millis(2)).await;
        }
        assert!(looks > 0, "the watcher saw the high queue's backlog");
        eventually("both queues to drain", || async {
            drained(&url, &high).await && drained(&url, &low).await
        })
        .await;
        for consumer in &connected {
            consumer.shutdown().await;
        }
    };
    let running = async {
        future::zip(
            ran(&connected[0]),
            future::zip(ran(&connected[1]), ran(&connected[2])),
        )
        .await
    };
    let ((first, (second, third)), ()) = future::zip(running, body).await;
    let stats = first + second + third;
    assert_eq!(stats.acknowledged, 400, "{stats:?}");
    assert_eq!(starts(&low_test).len(), 200);
}

/// A weighted consumer busy with one queue's backlog reads a job that arrives on another,
/// idle, queue at once: it does not wait for the backlog.
pub async fn a_job_on_an_idle_queue_is_read_at_once<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let case = "idle";
    let (urgent, bulk) = (Queue::new("urgent"), Queue::new("bulk"));
    let queues = Queues::weighted([(urgent.clone(), 1), (bulk.clone(), 1)]);
    let consumer = consumer::<H>(&url, queues).connect().await.unwrap();
    let slow = Probe {
        work_ms: 20,
        ..Probe::default()
    };
    // 4 workers, 20 ms each: 400 jobs take 2 s.
    fill::<H>(&url, case, &bulk, 400, slow).await;
    let bulk_test = test_of::<H>(case, "bulk");
    let urgent_test = test_of::<H>(case, "urgent");
    let body = async {
        eventually("the backlog to start", || async {
            starts(&bulk_test).len() >= 10
        })
        .await;
        let enqueued_at = SystemTime::now();
        fill::<H>(&url, case, &urgent, 1, Probe::default()).await;
        eventually("the urgent job to run", || async {
            starts(&urgent_test).len() == 1
        })
        .await;
        let urgent_at = starts(&urgent_test)[0].2;
        let overtook = starts(&bulk_test)
            .iter()
            .filter(|(_, _, at)| (enqueued_at..urgent_at).contains(at))
            .count();
        // At most the 12 held (4 workers, 8 prefetched) started before it, and a few
        // more whose starts raced its read.
        assert!(
            overtook <= 16,
            "{overtook} bulk jobs started between the urgent job's enqueue and its start"
        );
        let by_queue = consumer.stats_by_queue();
        assert_eq!(by_queue[0].0, "urgent");
        assert_eq!(by_queue[0].1.read, 1, "{by_queue:?}");
        consumer.shutdown_now().await;
    };
    future::zip(ran(&consumer), body).await;
}

/// Queue lists that cannot be served are refused before anything is sent.
pub async fn bad_queue_lists_are_typed_errors<H: Harness>() {
    let url = "redis://127.0.0.1:1"; // never reached
    let refused = |queues: Queues| async move {
        consumer::<H>(url, queues)
            .connect()
            .await
            .expect_err("refused")
    };
    assert!(matches!(
        refused(Queues::weighted([])).await,
        QueueError::Config(ConfigError::NoQueues)
    ));
    assert!(matches!(
        refused(Queues::weighted([(Queue::new("a"), 1), (Queue::new("b"), 0)])).await,
        QueueError::Config(ConfigError::ZeroWeight(name)) if name == "b"
    ));
    assert!(matches!(
        refused(Queues::strict([Queue::new("a"), Queue::new("a")])).await,
        QueueError::Config(ConfigError::QueueTwice(name)) if name == "a"
    ));
    assert!(matches!(
        refused(Queues::strict([Queue::new("a"), Queue::new("")])).await,
        QueueError::BadQueueName { .. }
    ));
}

on_every_runtime!(
    weighted_queues_share_by_weight,
    strict_order_starts_no_lower_job_while_a_higher_one_waits,
    a_job_on_an_idle_queue_is_read_at_once,
    bad_queue_lists_are_typed_errors,
);
