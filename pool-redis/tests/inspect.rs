//! An operator's view, against a real redis-server, on every runtime: the queues on the
//! server, where a job is in each of its states, consumers' heartbeats (and one that went
//! silent), and dead letters re-queued and deleted one by one and in bulk, while jobs keep
//! dying.

mod support;

use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{DelayReason, Inspector, JobState, RemoteOutcome, RetryPolicy};
use support::{Probe, Setup, connection, eventually, open_gate, probe_consumer, ran};

/// One job in each state, found by its key: waiting, delayed, held (by this consumer, with
/// its progress), dead-lettered (with its error), finished (with its outcome), and a key
/// never enqueued; the queue is listed, and its consumer's heartbeat names this process.
pub async fn a_job_is_found_wherever_it_is<H: Harness>() {
    let Some(setup) = Setup::start::<H>("whereabouts").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let inspector = Inspector::connect(&url).await.unwrap();
    let state = |key| {
        let (inspector, queue) = (inspector.clone(), queue.clone());
        async move { inspector.find_job(&queue, key).await.unwrap() }
    };

    let waiting = producer.enqueue(&Probe::new(&test)).await.unwrap();
    assert!(matches!(
        state(waiting).await.state,
        JobState::Waiting { .. }
    ));
    let later = producer
        .enqueue_in(&Probe::new(&test), Duration::from_secs(3600))
        .await
        .unwrap();
    let JobState::Delayed { due, reason } = state(later).await.state else {
        panic!("not delayed: {:?}", state(later).await);
    };
    assert_eq!(reason, DelayReason::Scheduled);
    assert!(due > std::time::SystemTime::now() + Duration::from_secs(3000));
    let nowhere = uuid::Uuid::new_v4();
    assert_eq!(state(nowhere).await.state, JobState::Unknown);
    // A stream named like a job stream whose name no queue may have is not a queue.
    let _: String = redis::cmd("XADD")
        .arg("{}x}:jobs")
        .arg("*")
        .arg("not")
        .arg("ours")
        .query_async(&mut connection(&url).await)
        .await
        .unwrap();
    assert_eq!(inspector.queue_names().await.unwrap(), [queue.name()]);

    let consumer = probe_consumer::<H>(&url, &queue)
        .retry(RetryPolicy::new(1))
        .keep_outcomes(Duration::from_secs(600))
        .connect()
        .await
        .unwrap();
    let gate = format!("{test}/gate");
    let body = async {
        let held = producer
            .enqueue(&Probe {
                progress_steps: 3,
                gate: Some(gate.clone()),
                ..Probe::new(&test)
            })
            .await
            .unwrap();
        let poison = producer
            .enqueue(&Probe {
                poison: true,
                ..Probe::new(&test)
            })
            .await
            .unwrap();
        eventually("the gated job to be held, with its progress", || async {
            let job = state(held).await;
            job.progress.is_some_and(|progress| progress.value == 3)
                && matches!(&job.state, JobState::Held { consumer: holder, .. } if holder == consumer.name())
        })
        .await;
        eventually("the poison job to be a dead letter", || async {
            matches!(state(poison).await.state, JobState::DeadLettered(letter) if letter.error.contains("poison"))
        })
        .await;
        eventually("the first job's outcome", || async {
            state(waiting).await.state == JobState::Finished(RemoteOutcome::Completed(1.into()))
        })
        .await;

        let stats = inspector.stats(&queue).await.unwrap();
        let [me] = &stats.consumers[..] else {
            panic!("one consumer: {:?}", stats.consumers);
        };
        let presence = me.presence.as_ref().expect("a heartbeat");
        assert_eq!(presence.pid, std::process::id());
        assert!(
            ["tokio", "async-std", "smol"].contains(&presence.runtime.as_str()),
            "{presence:?}"
        );
        assert!(!me.looks_dead());
        open_gate(&gate);
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 2);
    // A consumer that left says so: no heartbeat stays behind.
    let left = inspector.stats(&queue).await.unwrap();
    assert!(left.consumers.is_empty(), "{:?}", left.consumers);
    let beats: u64 = redis::cmd("HLEN")
        .arg(format!("{{{}}}:consumers", queue.name()))
        .query_async(&mut connection(&url).await)
        .await
        .unwrap();
    assert_eq!(beats, 0);
}

/// A consumer whose loops stopped (its process frozen, say) keeps its heartbeat, which ages
/// until it looks dead; a heartbeat field holding anything but a consumer's (an operator's
/// hand, an attacker's) is read as none and overwritten by the next beat.
pub async fn a_silent_consumer_looks_dead<H: Harness>() {
    let Some(setup) = Setup::start::<H>("silent").await else {
        return;
    };
    let (url, queue, _) = setup.names();
    let consumer = probe_consumer::<H>(&url, &queue)
        .visibility_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg(format!("{{{}}}:consumers", queue.name()))
        .arg(consumer.name())
        .arg("<script>alert(1)</script>")
        .query_async(&mut connection(&url).await)
        .await
        .unwrap();
    let inspector = Inspector::connect(&url).await.unwrap();
    let me = || async { inspector.stats(&queue).await.unwrap().consumers.pop() };
    assert!(me().await.unwrap().presence.is_none());
    // Its loops run until its first heartbeat is seen, then stop where they are.
    let beating = async {
        eventually("a heartbeat", || async {
            me().await.is_some_and(|me| me.presence.is_some())
        })
        .await;
        Ok(pool_redis::ConsumerStats::default())
    };
    future::or(consumer.run(), beating).await.unwrap();
    eventually("the silent consumer to look dead", || async {
        me().await.is_some_and(|me| me.looks_dead())
    })
    .await;
}

/// Dead letters: found by key, deleted one at a time; re-queued all at once while the
/// consumer keeps killing them again (the re-queue ends, having moved each letter there was
/// when it started exactly once); deleted all at once.
pub async fn dead_letters_are_requeued_and_deleted_in_bulk<H: Harness>() {
    let Some(setup) = Setup::start::<H>("bulk-dead").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let consumer = probe_consumer::<H>(&url, &queue)
        .retry(RetryPolicy::new(1))
        .connect()
        .await
        .unwrap();
    let inspector = Inspector::connect(&url).await.unwrap();
    let dead = inspector.dead_letters(&queue).unwrap();
    let body = async {
        let poison = Probe {
            poison: true,
            ..Probe::new(&test)
        };
        let keys = producer.enqueue_many(&vec![poison; 301]).await.unwrap();
        eventually("301 dead letters", || async {
            dead.count().await.unwrap() == 301
        })
        .await;
        let letter = dead.find(&keys[7]).await.unwrap().expect("found by key");
        assert_eq!(letter.key, keys[7].to_string());
        assert_eq!(dead.get(&letter.id).await.unwrap(), Some(letter.clone()));
        // An id's time alone names no one letter: Redis would read it as a range's end.
        let time = letter.id.split('-').next().unwrap();
        assert_eq!(dead.get(time).await.unwrap(), None);
        assert!(!dead.requeue(time).await.unwrap());
        assert!(!dead.delete(time).await.unwrap());
        assert_eq!(dead.count().await.unwrap(), 301);
        assert!(dead.delete(&letter.id).await.unwrap());
        assert!(!dead.delete(&letter.id).await.unwrap());
        assert_eq!(dead.find(&keys[7]).await.unwrap(), None);

        // Every letter re-queued dies again at once, with a newer id: the re-queue must not
        // chase them.
        assert_eq!(dead.requeue_all().await.unwrap(), 300);
        eventually("the 300 to die again", || async {
            dead.count().await.unwrap() == 300
        })
        .await;
        let newest = dead.newest(1).await.unwrap();
        let oldest = dead.list(1).await.unwrap();
        assert!(newest[0].dead_since >= oldest[0].dead_since);
        assert_eq!(dead.delete_all().await.unwrap(), 300);
        assert_eq!(dead.count().await.unwrap(), 0);
        assert_eq!(dead.requeue_all().await.unwrap(), 0);
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.dead_lettered, 601);
    let totals = inspector.stats(&queue).await.unwrap();
    assert_eq!(totals.dead_letters, 0);
}

on_every_runtime!(
    a_job_is_found_wherever_it_is,
    a_silent_consumer_looks_dead,
    dead_letters_are_requeued_and_deleted_in_bulk,
);
