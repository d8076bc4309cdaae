//! Redis going away under running consumers: restarted (with its append-only file), or every
//! client's connection dropped. Consumers reconnect with back-off; no job is lost.

mod support;

use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{Producer, Queue, QueueError, RetryPolicy, queue_stats};
use support::server::RedisServer;
use support::{Probe, Setup, drained, eventually, probe_consumer, ran, runs};

fn test_name<H: Harness>(case: &str) -> String {
    format!("{case}/{}", std::any::type_name::<H>())
}

/// Enqueues `jobs`, retrying while Redis is away (the producer reconnects on its next call).
async fn enqueue_until_accepted(producer: &Producer, jobs: &[Probe]) -> Vec<uuid::Uuid> {
    loop {
        match producer.enqueue_many(jobs).await {
            Ok(keys) => return keys,
            Err(QueueError::Redis(_)) => support::sleep(Duration::from_millis(50)).await,
            Err(other) => panic!("{other}"),
        }
    }
}

/// Redis restarts (killed, then started on its append-only file) while a consumer runs jobs
/// and a producer enqueues: every job runs and is acknowledged, none is dead-lettered.
pub async fn a_redis_restart_loses_no_job<H: Harness>() {
    let Some(mut server) = RedisServer::start_durable() else {
        return;
    };
    let (url, queue, test) = (
        server.url(),
        Queue::new("restart"),
        test_name::<H>("restart"),
    );
    let producer = Producer::connect(&url, queue.clone()).await.unwrap();
    let job = Probe {
        work_ms: 2,
        ..Probe::new(&test)
    };
    let mut keys = producer
        .enqueue_many(&vec![job.clone(); 300])
        .await
        .unwrap();
    let consumer = probe_consumer::<H>(&url, &queue)
        .workers(4)
        .visibility_timeout(Duration::from_secs(2))
        .reclaim_every(Duration::from_millis(100))
        .retry(RetryPolicy::new(5).with_first_backoff(Duration::from_millis(20)))
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("some jobs to run", || async {
            consumer.stats().acknowledged >= 50
        })
        .await;
        server.restart();
        keys.extend(enqueue_until_accepted(&producer, &vec![job.clone(); 100]).await);
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    let ran = runs(&test);
    for key in &keys {
        assert!(ran.iter().any(|(k, _)| k == key), "job {key} never ran");
    }
    let queue_now = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(
        (queue_now.length, queue_now.pending, queue_now.dead_letters),
        (0, 0, 0)
    );
    assert!(stats.acknowledged >= 350, "{stats:?}");
}

/// Every client's connection is dropped (`CLIENT KILL TYPE normal`) mid-run, twice: the
/// consumer opens its connections again and every job runs once.
pub async fn dropped_connections_are_opened_again<H: Harness>() {
    let Some(setup) = Setup::start::<H>("drop").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let job = Probe {
        work_ms: 2,
        ..Probe::new(&test)
    };
    let keys = producer.enqueue_many(&vec![job; 400]).await.unwrap();
    let consumer = probe_consumer::<H>(&url, &queue)
        .workers(4)
        .reclaim_every(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let body = async {
        for acknowledged in [100, 200] {
            eventually("jobs to run", || async {
                consumer.stats().acknowledged >= acknowledged
            })
            .await;
            let mut killer = client.get_multiplexed_async_connection().await.unwrap();
            let killed: u64 = redis::cmd("CLIENT")
                .arg("KILL")
                .arg("TYPE")
                .arg("normal")
                .query_async(&mut killer)
                .await
                .unwrap();
            assert!(
                killed >= 2,
                "the consumer's connections were dropped: {killed}"
            );
        }
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    let ran = runs(&test);
    for key in &keys {
        assert!(ran.iter().any(|(k, _)| k == key), "job {key} never ran");
    }
    assert_eq!(stats.acknowledged, 400, "{stats:?}");
}

/// The queue's stream (and so its group) is deleted under a running consumer, as a Redis
/// that restarted without its data would have it: the consumer creates the group again and
/// runs what is enqueued next.
pub async fn a_lost_group_is_created_again<H: Harness>() {
    let Some(setup) = Setup::start::<H>("nogroup").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let consumer = probe_consumer::<H>(&url, &queue)
        .reclaim_every(Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let body = async {
        let first = producer.enqueue(&Probe::new(&test)).await.unwrap();
        eventually("the first job to run", || async {
            consumer.stats().acknowledged == 1
        })
        .await;
        let mut raw = client.get_multiplexed_async_connection().await.unwrap();
        let _: u64 = redis::cmd("DEL")
            .arg(queue.jobs_key())
            .query_async(&mut raw)
            .await
            .unwrap();
        // Enqueued into a stream with no group: the group the consumer creates again starts
        // at the stream's start, so this job is delivered too.
        let second = producer.enqueue(&Probe::new(&test)).await.unwrap();
        eventually("the job after the loss to run", || async {
            runs(&test).iter().any(|(key, _)| *key == second)
        })
        .await;
        consumer.shutdown().await;
        first
    };
    let (_, first) = future::zip(ran(&consumer), body).await;
    assert!(runs(&test).iter().any(|(key, _)| *key == first));
}

on_every_runtime!(
    a_redis_restart_loses_no_job,
    dropped_connections_are_opened_again,
    a_lost_group_is_created_again,
);
