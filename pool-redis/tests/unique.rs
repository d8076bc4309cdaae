//! Unique jobs against a real redis-server, on every runtime: producers racing for one key
//! enqueue one job; the key is free again once the job finished, or once its period passed.

mod support;

use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{
    ConfigError, Enqueued, Producer, QueueError, RetryPolicy, Uniqueness, queue_stats,
};
use support::{Probe, Setup, drained, eventually, probe_consumer, ran, runs};

/// Every future of `futures`, polled together, their outputs in order.
async fn all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    future::poll_fn(|cx| {
        for (future, slot) in futures.iter_mut().zip(done.iter_mut()) {
            if slot.is_none()
                && let Poll::Ready(output) = future.as_mut().poll(cx)
            {
                *slot = Some(output);
            }
        }
        if done.iter().all(Option::is_some) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done.into_iter()
        .map(|output| output.expect("done"))
        .collect()
}

/// 50 producers, each on its own connection, race to enqueue one unique key: one job is
/// enqueued and runs once, the others are told whose key it is; once it has finished, the
/// key can be enqueued again.
pub async fn racing_producers_enqueue_one_job<H: Harness>() {
    let Some(setup) = Setup::start::<H>("unique").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let mut producers = Vec::new();
    for _ in 0..50 {
        producers.push(Producer::connect(&url, queue.clone()).await.unwrap());
    }
    let probe = Probe::new(&test);
    let racing = producers
        .iter()
        .map(|producer| {
            Box::pin(producer.enqueue_unique(&probe, "nightly", Uniqueness::UntilFinished))
                as Pin<Box<dyn Future<Output = _>>>
        })
        .collect();
    let results: Vec<Enqueued> = all(racing).await.into_iter().map(Result::unwrap).collect();
    let winners: Vec<_> = results
        .iter()
        .filter(|result| !result.is_duplicate())
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let key = winners[0].key();
    assert!(
        results.iter().all(|result| result.key() == key),
        "{results:?}"
    );
    assert_eq!(queue_stats(&url, &queue).await.unwrap().length, 1);

    let consumer = probe_consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the unique job to run", || drained(&url, &queue)).await;
        let again = setup
            .producer
            .enqueue_unique(&probe, "nightly", Uniqueness::UntilFinished)
            .await
            .unwrap();
        assert!(
            matches!(again, Enqueued::New(other) if other != key),
            "{again:?}"
        );
        eventually("the second one to run", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 2, "{stats:?}");
    assert_eq!(runs(&test).len(), 2, "each of the two ran once");
}

/// A dead-lettered unique job frees its key, as a successful one does.
pub async fn a_dead_lettered_unique_job_frees_its_key<H: Harness>() {
    let Some(setup) = Setup::start::<H>("unique-dead").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let poison = Probe {
        poison: true,
        ..Probe::new(&test)
    };
    let first = setup
        .producer
        .enqueue_unique(&poison, "import", Uniqueness::UntilFinished)
        .await
        .unwrap();
    let consumer = probe_consumer::<H>(&url, &queue)
        .retry(RetryPolicy::new(2).with_first_backoff(Duration::from_millis(20)))
        .connect()
        .await
        .unwrap();
    let body = async {
        // Held through its retry: still a duplicate until it is dead-lettered.
        let during = setup
            .producer
            .enqueue_unique(&Probe::new(&test), "import", Uniqueness::UntilFinished)
            .await
            .unwrap();
        assert_eq!(during, Enqueued::Duplicate(first.key()));
        eventually("the poison to be dead-lettered", || async {
            queue_stats(&url, &queue).await.unwrap().dead_letters == 1
        })
        .await;
        let after = setup
            .producer
            .enqueue_unique(&Probe::new(&test), "import", Uniqueness::UntilFinished)
            .await
            .unwrap();
        assert!(!after.is_duplicate(), "{after:?}");
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

/// A key held for a period stays taken after its job finished, and is free once the period
/// has passed; a period of zero is a typed error.
pub async fn a_key_held_for_a_period_expires<H: Harness>() {
    let Some(setup) = Setup::start::<H>("unique-ttl").await else {
        return;
    };
    let (_, _, test) = setup.names();
    let probe = Probe::new(&test);
    let period = Uniqueness::For(Duration::from_millis(500));
    let first = setup
        .producer
        .enqueue_unique(&probe, "debounced", period)
        .await
        .unwrap();
    let again = setup
        .producer
        .enqueue_unique(&probe, "debounced", period)
        .await
        .unwrap();
    assert_eq!(again, Enqueued::Duplicate(first.key()));
    eventually("the period to pass", || async {
        !setup
            .producer
            .enqueue_unique(&probe, "debounced", period)
            .await
            .unwrap()
            .is_duplicate()
    })
    .await;
    let refused = setup
        .producer
        .enqueue_unique(&probe, "debounced", Uniqueness::For(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Config(ConfigError::Zero(_))),
        "{refused:?}"
    );
}

on_every_runtime!(
    racing_producers_enqueue_one_job,
    a_dead_lettered_unique_job_frees_its_key,
    a_key_held_for_a_period_expires,
);
