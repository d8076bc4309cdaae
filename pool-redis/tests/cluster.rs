//! A real Redis Cluster on loopback (3 masters, 3 replicas, started by the test), on every
//! runtime: queues living on different masters served by one consumer, with the whole queue
//! API; and a manual failover of a queue's master while its jobs run, losing nothing.

mod support;

use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::doc_support::DocCluster;
use pool_redis::{
    Consumer, Enqueued, Inspector, JobState, Producer, Queue, Queues, Registry, RemoteOutcome,
    Uniqueness, queue_stats,
};
use support::{Probe, drained, eventually, ran, runs};

/// Jobs per queue: plain, delayed, one poison.
const JOBS: usize = 300;

fn test_of<H: Harness>(case: &str, queue: &str) -> String {
    format!("{case}/{queue}/{}", std::any::type_name::<H>())
}

/// Three queues on three masters, one consumer for all of them: every job runs once, the
/// delayed ones after their delay, a duplicate is refused, a poison job is a dead letter,
/// an outcome is waited for, and the inspector finds every queue and every job.
pub async fn one_consumer_serves_queues_on_every_master<H: Harness>() {
    let Some(cluster) = DocCluster::start(3) else {
        return;
    };
    let url = cluster.url();
    let names = cluster.names_on_different_masters("orders", 3);
    let queues: Vec<Queue> = names.iter().map(Queue::new).collect();
    let consumer = Consumer::builder(
        &url,
        Queues::weighted(queues.iter().map(|queue| (queue.clone(), 1))),
        Registry::new().register::<Probe>(),
        H::executor(),
    )
    .workers(8)
    .keep_outcomes(Duration::from_secs(60))
    .promote_every(Duration::from_millis(50))
    .retry(pool_redis::RetryPolicy::new(2).with_first_backoff(Duration::from_millis(10)))
    .connect()
    .await
    .expect("a consumer of three queues on a cluster");
    let mut keys = Vec::new();
    for queue in &queues {
        let producer = Producer::connect(&url, queue.clone()).await.unwrap();
        let probe = Probe::new(&test_of::<H>("served", queue.name()));
        let plain = vec![probe.clone(); JOBS / 2];
        let later = vec![probe.clone(); JOBS / 2 - 2];
        producer.enqueue_many(&plain).await.unwrap();
        producer
            .enqueue_many_in(&later, Duration::from_millis(100))
            .await
            .unwrap();
        let unique = producer
            .enqueue_unique(&probe, "once", Uniqueness::UntilFinished)
            .await
            .unwrap();
        let again = producer
            .enqueue_unique(&probe, "once", Uniqueness::UntilFinished)
            .await
            .unwrap();
        assert_eq!(again, Enqueued::Duplicate(unique.key()));
        let poison = Probe {
            poison: true,
            ..probe.clone()
        };
        let poison_key = producer.enqueue(&poison).await.unwrap();
        keys.push((producer, unique.key(), poison_key));
    }
    let body = async {
        for queue in &queues {
            eventually("every queue drained", || drained(&url, queue)).await;
        }
        // An outcome waited for on its own blocking connection, which a cluster routes by
        // the list's key.
        for (producer, unique, _) in &keys {
            let outcome = producer
                .wait_outcome(*unique, Duration::from_secs(10))
                .await
                .unwrap();
            assert!(
                matches!(outcome, Some(RemoteOutcome::Completed(_))),
                "{outcome:?}"
            );
        }
        consumer.shutdown().await;
    };
    let (stats, ()) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 3 * (JOBS as u64 - 1));
    assert_eq!(stats.dead_lettered, 3);

    let inspector = Inspector::connect(&url).await.unwrap();
    let mut found = inspector.queue_names().await.unwrap();
    found.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(found, expected, "every queue is found on its master");
    for ((queue, name), (_, unique, poison)) in queues.iter().zip(&names).zip(&keys) {
        let runs = runs(&test_of::<H>("served", name));
        // Each job once, the poison one twice (its two attempts).
        assert_eq!(runs.len(), JOBS + 1, "{name}");
        let stats = queue_stats(&url, queue).await.unwrap();
        assert_eq!(
            (
                stats.acknowledged_total,
                stats.dead_lettered_total,
                stats.dead_letters
            ),
            (JOBS as u64 - 1, 1, 1),
            "{name}: {stats:?}"
        );
        let job = inspector.find_job(queue, *unique).await.unwrap();
        assert!(matches!(job.state, JobState::Finished(_)), "{job:?}");
        let letter = inspector.find_job(queue, *poison).await.unwrap();
        assert!(
            matches!(letter.state, JobState::DeadLettered(_)),
            "{letter:?}"
        );
    }
}

on_every_runtime!(one_consumer_serves_queues_on_every_master);
