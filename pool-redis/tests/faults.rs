//! The queue under faults and bad input an operator's bad day brings: hostile entries, a
//! full Redis, a frozen one, lost replies, limited users, a paused consumer, bad settings.
//! Each case names the fault it shows; on every runtime.

mod support;

use std::time::{Duration, Instant};

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::doc_support::free_port;
use pool_redis::{
    ConfigError, ConsumerBuilder, DeadLetters, Producer, Queue, QueueError, RetryPolicy,
    queue_stats,
};
use redis::AsyncCommands;
use support::server::RedisServer;
use support::{
    Probe, Setup, connection, drained, eventually, open_gate, probe_consumer, ran, runs,
};

/// A consumer quick to retry and reclaim, whose leases outlast every case.
fn consumer<H: Harness>(url: &str, queue: &Queue) -> ConsumerBuilder<H::Executor> {
    probe_consumer::<H>(url, queue)
        .workers(2)
        .prefetch(2)
        .visibility_timeout(Duration::from_secs(120))
        .reclaim_every(Duration::from_millis(50))
        .retry(RetryPolicy::new(3).with_first_backoff(Duration::from_millis(20)))
}

/// One entry whose field name is not UTF-8, read in one batch with good ones: the good ones
/// run, the bad one is dead-lettered with its fields as written, byte for byte.
pub async fn a_bad_field_name_costs_only_its_entry<H: Harness>() {
    let Some(setup) = Setup::start::<H>("bad-field").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let mut raw = connection(&url).await;
    let mut keys = Vec::new();
    for i in 0..4 {
        if i == 2 {
            let _: String = redis::cmd("XADD")
                .arg(queue.jobs_key())
                .arg("*")
                .arg(&b"\xff\x00"[..])
                .arg("x")
                .query_async(&mut raw)
                .await
                .unwrap();
        }
        keys.push(setup.producer.enqueue(&Probe::new(&test)).await.unwrap());
    }
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(
        (stats.acknowledged, stats.dead_lettered),
        (4, 1),
        "{stats:?}"
    );
    let mut ran_keys: Vec<_> = runs(&test).into_iter().map(|(key, _)| key).collect();
    ran_keys.sort();
    keys.sort();
    assert_eq!(ran_keys, keys);
    let letters = dead.list(10).await.unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(
        letters[0].fields,
        vec![(b"\xff\x00".to_vec(), b"x".to_vec())]
    );
    assert!(letters[0].error.contains("malformed"), "{letters:?}");
}

/// An entry added by hand with a sequence number at the limit a script's numbers print
/// exactly (14 digits): acknowledging it, with nothing else pending, trims below the id just
/// past it, which must still be written as an id (not `1e+14`): it is acknowledged once and
/// leaves the stream.
pub async fn a_hand_set_id_at_the_sequence_limit_is_settled<H: Harness>() {
    let Some(setup) = Setup::start::<H>("seq-limit").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    // The fields a producer writes, taken from a job enqueued elsewhere.
    let scratch = Queue::new(format!("{test}-scratch"));
    let key = Producer::connect(&url, scratch.clone())
        .await
        .unwrap()
        .enqueue(&Probe::new(&test))
        .await
        .unwrap();
    let mut raw = connection(&url).await;
    let written: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
        .arg(scratch.jobs_key())
        .arg("-")
        .arg("+")
        .query_async(&mut raw)
        .await
        .unwrap();
    let mut add = redis::cmd("XADD");
    add.arg(queue.jobs_key()).arg("5-99999999999999");
    for field in &written[0].1 {
        add.arg(field);
    }
    let _: String = add.query_async(&mut raw).await.unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.acknowledged, stats.leases_lost), (1, 0), "{stats:?}");
    assert_eq!(runs(&test), [(key, 1)]);
}

/// Redis at `maxmemory` with `noeviction`: enqueueing is refused with a typed error, and
/// consumers still run and acknowledge every accepted job, which frees the memory.
pub async fn a_full_redis_drains<H: Harness>() {
    let Some(setup) = Setup::start::<H>("full").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let mut raw = connection(&url).await;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut raw)
        .await
        .unwrap();
    let used: u64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + 1_000_000)
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query_async(&mut raw)
        .await
        .unwrap();
    let mut keys = Vec::new();
    // Long names make big entries: Redis fills up in fewer round trips.
    let filler = format!("{test}/{}", "x".repeat(200));
    let batch: Vec<Probe> = (0..50).map(|_| Probe::new(&filler)).collect();
    let refused = loop {
        match setup.producer.enqueue_many(&batch).await {
            Ok(accepted) => keys.extend(accepted),
            Err(QueueError::PartlyQueued { queued, source }) => {
                keys.extend(queued.into_iter().flatten());
                break *source;
            }
            Err(error) => break error,
        }
        assert!(keys.len() < 200_000, "Redis never filled up");
    };
    assert!(matches!(refused, QueueError::OutOfMemory(_)), "{refused:?}");
    assert!(refused.to_string().contains("out of memory"), "{refused}");
    let queued = queue_stats(&url, &queue).await.unwrap().length;
    assert_eq!(
        queued,
        keys.len() as u64,
        "the keys returned are the jobs queued"
    );
    let consumer = consumer::<H>(&url, &queue)
        .workers(8)
        .prefetch(32)
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("the full queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, queued, "{stats:?}");
    assert_eq!((stats.retried, stats.dead_lettered), (0, 0), "{stats:?}");
    let runs_seen = runs(&filler);
    assert_eq!(runs_seen.len() as u64, queued, "each accepted job ran once");
    // Drained, it takes jobs again.
    setup.producer.enqueue(&Probe::new(&test)).await.unwrap();
}

/// A read whose reply a dropped connection lost leaves entries pending under the consumer
/// that nobody knows of (made here by reading as the consumer from outside): once its
/// connection is back, the consumer takes them in, long before any visibility timeout.
pub async fn entries_a_lost_read_delivered_are_taken_in<H: Harness>() {
    let Some(setup) = Setup::start::<H>("lost-read").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    // Before the consumer reads: delivered to its name, the reply going elsewhere, as a
    // lost reply would leave them.
    let jobs: Vec<Probe> = (0..3).map(|_| Probe::new(&test)).collect();
    let keys = setup.producer.enqueue_many(&jobs).await.unwrap();
    let mut raw = connection(&url).await;
    support::deliver_to(&url, &queue, consumer.name(), 3).await;
    let body = async {
        // The consumer's read meets a dropped connection.
        let _: redis::Value = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .arg("SKIPME")
            .arg("yes")
            .query_async(&mut raw)
            .await
            .unwrap();
        eventually("the stranded jobs to run (120 s visibility)", || async {
            runs(&test).len() == 3
        })
        .await;
        eventually("the queue to drain", || drained(&url, &queue)).await;
        (keys, consumer.shutdown().await)
    };
    let (_, (keys, stats)) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.recovered, stats.acknowledged), (3, 3), "{stats:?}");
    let mut ran_keys: Vec<_> = runs(&test).into_iter().map(|(key, _)| key).collect();
    ran_keys.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(ran_keys, keys);
}

/// A paused consumer whose leases lapsed and whose entries a rival took and finished (made
/// here by claiming and acknowledging them from outside): when it wakes, its running job's
/// success is not counted as an acknowledgement, its queued entries never start, and each
/// counts as a lost lease.
pub async fn a_paused_consumer_counts_what_it_lost<H: Harness>() {
    let Some(setup) = Setup::start::<H>("zombie").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let gate = format!("{test}/gate");
    let first = Probe {
        gate: Some(gate.clone()),
        ..Probe::new(&test)
    };
    let mut jobs = vec![first];
    jobs.extend((0..3).map(|_| Probe::new(&test)));
    let keys = setup.producer.enqueue_many(&jobs).await.unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .workers(1)
        .prefetch(3)
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("the first job to start, four held", || async {
            runs(&test).len() == 1 && consumer.stats().held == 4
        })
        .await;
        // The rival: takes all four and finishes them.
        let mut raw = connection(&url).await;
        let pending: redis::streams::StreamPendingCountReply = raw
            .xpending_count(queue.jobs_key(), "workers", "-", "+", 10)
            .await
            .unwrap();
        let pending: Vec<String> = pending.ids.into_iter().map(|entry| entry.id).collect();
        assert_eq!(pending.len(), 4);
        for id in &pending {
            let _: redis::Value = redis::cmd("XCLAIM")
                .arg(queue.jobs_key())
                .arg("workers")
                .arg("rival")
                .arg(0)
                .arg(id)
                .arg("JUSTID")
                .query_async(&mut raw)
                .await
                .unwrap();
            let _: u64 = raw.xack(queue.jobs_key(), "workers", &[id]).await.unwrap();
            let _: u64 = raw.xdel(queue.jobs_key(), &[id]).await.unwrap();
        }
        open_gate(&gate);
        eventually("the consumer to let go of all four", || async {
            consumer.stats().held == 0
        })
        .await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.acknowledged, stats.leases_lost), (0, 4), "{stats:?}");
    assert_eq!(
        runs(&test),
        [(keys[0], 1)],
        "the queued three never started"
    );
}

/// Three jobs finish together while a rival holds the middle one's entry (its lease lapsed,
/// say): the two still held are acknowledged, and the rival's is left as it is, pending
/// under the rival and still in the stream, whether the three were settled in one batch or
/// not.
pub async fn a_rivals_entry_amid_a_batch_is_left_alone<H: Harness>() {
    let Some(setup) = Setup::start::<H>("amid").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let gate = format!("{test}/gate");
    let jobs: Vec<Probe> = (0..3)
        .map(|_| Probe {
            gate: Some(gate.clone()),
            ..Probe::new(&test)
        })
        .collect();
    setup.producer.enqueue_many(&jobs).await.unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .workers(3)
        .prefetch(3)
        .connect()
        .await
        .unwrap();
    let mut raw = connection(&url).await;
    let body = async {
        eventually("all three to start", || async { runs(&test).len() == 3 }).await;
        let pending: redis::streams::StreamPendingCountReply = raw
            .xpending_count(queue.jobs_key(), "workers", "-", "+", 10)
            .await
            .unwrap();
        let ids: Vec<String> = pending.ids.into_iter().map(|entry| entry.id).collect();
        assert_eq!(ids.len(), 3);
        let _: redis::Value = redis::cmd("XCLAIM")
            .arg(queue.jobs_key())
            .arg("workers")
            .arg("rival")
            .arg(0)
            .arg(&ids[1])
            .arg("JUSTID")
            .query_async(&mut raw)
            .await
            .unwrap();
        open_gate(&gate);
        eventually("the consumer to let go of all three", || async {
            consumer.stats().held == 0
        })
        .await;
        let stats = consumer.shutdown().await;
        (ids, stats)
    };
    let (_, (ids, stats)) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.acknowledged, stats.leases_lost), (2, 1), "{stats:?}");
    let pending: redis::streams::StreamPendingCountReply = raw
        .xpending_count(queue.jobs_key(), "workers", "-", "+", 10)
        .await
        .unwrap();
    let pending: Vec<(String, String)> = pending
        .ids
        .into_iter()
        .map(|entry| (entry.id, entry.consumer))
        .collect();
    assert_eq!(pending, [(ids[1].clone(), "rival".to_owned())]);
    let left: redis::streams::StreamRangeReply = raw.xrange_all(queue.jobs_key()).await.unwrap();
    let left: Vec<String> = left.ids.into_iter().map(|entry| entry.id).collect();
    assert_eq!(left, [ids[1].clone()], "only the rival's entry is left");
}

/// A user limited by an ACL is refused at connect, with what it lacks; a permission taken
/// away from a running consumer stops it, and `run` says why.
pub async fn limited_users_are_refused_with_what_they_lack<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let queue = Queue::new("acl");
    let mut raw = connection(&server.url()).await;
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("jobs-only")
        .arg("on")
        .arg(">secret-pw")
        .arg(format!("~{}", queue.jobs_key()))
        .arg("+@all")
        .query_async(&mut raw)
        .await
        .unwrap();
    let port = server.url().rsplit(':').next().unwrap().to_owned();
    let limited = format!("redis://jobs-only:secret-pw@127.0.0.1:{port}");
    let refused = consumer::<H>(&limited, &queue).connect().await.unwrap_err();
    let QueueError::NoPermission { denied } = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        denied.iter().any(|why| why.contains(&queue.dead_key())),
        "{denied:?}"
    );
    assert!(!format!("{refused} {refused:?}").contains("secret-pw"));

    // A user that may not pop from a sorted set: enough for a consumer without limits,
    // refused for one with a concurrency limit (its slots' waiters are popped).
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("no-pop")
        .arg("on")
        .arg(">no-pop-pw")
        .arg("~*")
        .arg("+@all")
        .arg("-zpopmin")
        .query_async(&mut raw)
        .await
        .unwrap();
    let no_pop = format!("redis://no-pop:no-pop-pw@127.0.0.1:{port}");
    let refused = consumer::<H>(&no_pop, &queue)
        .concurrency_limit::<Probe>(1)
        .connect()
        .await
        .unwrap_err();
    let QueueError::NoPermission { denied } = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        denied.iter().any(|why| why.contains("ZPOPMIN")),
        "{denied:?}"
    );
    let unlimited = consumer::<H>(&no_pop, &queue).connect().await.unwrap();
    unlimited.shutdown().await;

    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("app")
        .arg("on")
        .arg(">app-pw")
        .arg("~*")
        .arg("+@all")
        .query_async(&mut raw)
        .await
        .unwrap();
    let app = format!("redis://app:app-pw@127.0.0.1:{port}");
    let consumer = consumer::<H>(&app, &queue).connect().await.unwrap();
    let revoke = async {
        let _: () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg("app")
            .arg("resetkeys")
            .query_async(&mut raw)
            .await
            .unwrap();
    };
    let (ended, ()) = future::zip(consumer.run(), revoke).await;
    let error = ended.unwrap_err();
    assert!(
        matches!(error, QueueError::NoPermission { .. }),
        "{error:?}"
    );
}

/// With Redis frozen (SIGSTOP: what a network partition looks like), a timed shutdown
/// returns by its deadline (plus the grace and the settle window), and what the consumer
/// held stays pending for a reclaim.
pub async fn a_timed_shutdown_returns_with_redis_frozen<H: Harness>() {
    let Some(setup) = Setup::start::<H>("frozen").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    setup
        .producer
        .enqueue(&Probe {
            until_cancelled: true,
            ..Probe::new(&test)
        })
        .await
        .unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the job to start", || async { !runs(&test).is_empty() }).await;
        let frozen = setup.server.freeze();
        let asked = Instant::now();
        consumer.shutdown_timeout(Duration::from_secs(2)).await;
        let took = asked.elapsed();
        drop(frozen);
        took
    };
    let (_, took) = future::zip(consumer.run(), body).await;
    // 2 s, the 1 s grace, the 1 s settle window; and slack for a loaded machine.
    assert!(took < Duration::from_secs(9), "took {took:?}");
    let left = queue_stats(&url, &queue).await.unwrap();
    assert_eq!((left.length, left.pending), (1, 1), "{left:?}");
}

/// Settings that cannot work, a queue name without a hash tag, and an unreachable Redis
/// with a password are typed errors that show no password.
pub async fn bad_settings_and_names_are_typed_errors<H: Harness>() {
    let nowhere = format!("redis://:hunter2-wrong@127.0.0.1:{}", free_port());
    let queue = Queue::new("q");
    let refused = consumer::<H>(&nowhere, &queue)
        .visibility_timeout(Duration::ZERO)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            QueueError::Config(ConfigError::VisibilityTooShort(_))
        ),
        "{refused:?}"
    );
    let builder = consumer::<H>(&nowhere, &queue);
    assert!(!format!("{builder:?}").contains("hunter2"), "{builder:?}");
    let refused = builder.prefetch(usize::MAX).connect().await.unwrap_err();
    assert!(
        matches!(refused, QueueError::Config(ConfigError::TooManyHeld { .. })),
        "{refused:?}"
    );
    let refused = consumer::<H>(&nowhere, &queue)
        .workers(usize::MAX)
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(refused, QueueError::Config(_)), "{refused:?}");
    let refused = Producer::connect(&nowhere, queue.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Unreachable { .. }),
        "{refused:?}"
    );
    let shown = format!("{refused} {refused:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    if !cfg!(feature = "tls") {
        let refused = Producer::connect("rediss://:hunter2@localhost:1", Queue::new("q"))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, QueueError::TlsNotEnabled { .. }),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("`tls` feature"), "{refused}");
        assert!(!refused.to_string().contains("hunter2"), "{refused}");
    }
    for name in ["", "}lead"] {
        let refused = Producer::connect(&nowhere, Queue::new(name))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, QueueError::BadQueueName { .. }),
            "{refused:?}"
        );
    }
}

/// Counts by cause: a job retried twice is taken again twice after its back-off, and
/// nothing counts as reclaimed, since no lease lapsed.
pub async fn retries_are_not_counted_as_reclaims<H: Harness>() {
    let Some(setup) = Setup::start::<H>("causes").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let flaky = Probe {
        fail_before_attempt: 3,
        ..Probe::new(&test)
    };
    setup.producer.enqueue(&flaky).await.unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .visibility_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let body = async {
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
        (2, 2, 0, 1),
        "{stats:?}"
    );
}

/// Dead letters, producers and status reconnect after every connection is dropped.
pub async fn every_link_reconnects<H: Harness>() {
    let Some(setup) = Setup::start::<H>("links").await else {
        return;
    };
    let (url, queue, _) = setup.names();
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    assert!(dead.list(10).await.unwrap().is_empty());
    let mut raw = connection(&url).await;
    let _: redis::Value = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("yes")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(dead.list(10).await.unwrap().is_empty());
    eventually("the producer to reconnect", || async {
        setup.producer.enqueue(&Probe::new("links")).await.is_ok()
    })
    .await;
}

/// Connecting (and its probe of every permission) changes nothing: the queue's hashes keep
/// no time to live, and no dead letter appears.
pub async fn connecting_changes_nothing<H: Harness>() {
    let Some(setup) = Setup::start::<H>("probe").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    setup
        .producer
        .enqueue(&Probe {
            poison: true,
            ..Probe::new(&test)
        })
        .await
        .unwrap();
    let first = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        // A failed run leaves its error and its count in the queue's hashes.
        eventually("a failed run", || async { first.stats().retried >= 1 }).await;
        first.shutdown().await
    };
    future::zip(ran(&first), body).await;
    let again = consumer::<H>(&url, &queue).connect().await.unwrap();
    let mut raw = connection(&url).await;
    for key in ["errors", "runs", "totals"] {
        let ttl: i64 = raw.pttl(format!("{{probe}}:{key}")).await.unwrap();
        assert!(ttl == -1 || ttl == -2, "{key} expires in {ttl} ms");
    }
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    assert!(dead.list(10).await.unwrap().is_empty());
    again.shutdown().await;
}

/// A consumer that takes the name of one whose memo of replies is still in Redis (an
/// operator removed it from the group by hand) does its own settlements: its calls are not
/// mistaken for its predecessor's.
pub async fn a_reused_name_meets_no_old_replies<H: Harness>() {
    let Some(setup) = Setup::start::<H>("reused").await else {
        return;
    };
    let (url, queue, _) = setup.names();
    let mut raw = connection(&url).await;
    // What a predecessor's first calls would have left: "call id, reply" per slot.
    for slot in ["reader", "settler"] {
        for call in 0..4 {
            let _: () = raw
                .hset(
                    format!("{{reused}}:memo:w-{call}"),
                    slot,
                    format!("{call} 1"),
                )
                .await
                .unwrap();
        }
        let _: () = raw.hset("{reused}:memo:w", slot, "0 1").await.unwrap();
    }
    let _: String = redis::cmd("XADD")
        .arg(queue.jobs_key())
        .arg("*")
        .arg("junk")
        .arg("1")
        .query_async(&mut raw)
        .await
        .unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .name("w")
        .connect()
        .await
        .unwrap();
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    let body = async {
        eventually("the malformed entry to be dead-lettered", || async {
            dead.list(10).await.unwrap().len() == 1
        })
        .await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.dead_lettered, 1, "{stats:?}");
    assert!(drained(&url, &queue).await);
}

/// Entries deleted from the stream while a consumer holds them (by an operator, say) are
/// counted as such when the consumer gives them back, not as released.
pub async fn entries_deleted_while_held_are_counted_so<H: Harness>() {
    let Some(setup) = Setup::start::<H>("deleted").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let mut jobs = vec![Probe {
        until_cancelled: true,
        ..Probe::new(&test)
    }];
    jobs.extend((0..3).map(|_| Probe::new(&test)));
    setup.producer.enqueue_many(&jobs).await.unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .workers(1)
        .prefetch(3)
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("one running, four held", || async {
            runs(&test).len() == 1 && consumer.stats().held == 4
        })
        .await;
        let mut raw = connection(&url).await;
        let entries: redis::streams::StreamRangeReply =
            raw.xrange_all(queue.jobs_key()).await.unwrap();
        // The three queued behind the running one (the stream keeps its order).
        let queued: Vec<String> = entries.ids.iter().skip(1).map(|e| e.id.clone()).collect();
        let _: u64 = raw.xdel(queue.jobs_key(), &queued).await.unwrap();
        consumer.shutdown_now().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(
        (
            stats.released,
            stats.deleted_while_pending,
            stats.leases_lost
        ),
        (1, 3, 0),
        "{stats:?}"
    );
    let left = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(
        (left.length, left.pending, left.released),
        (1, 1, 1),
        "{left:?}"
    );
}

on_every_runtime!(
    a_bad_field_name_costs_only_its_entry,
    a_full_redis_drains,
    a_hand_set_id_at_the_sequence_limit_is_settled,
    entries_a_lost_read_delivered_are_taken_in,
    a_paused_consumer_counts_what_it_lost,
    a_rivals_entry_amid_a_batch_is_left_alone,
    limited_users_are_refused_with_what_they_lack,
    a_timed_shutdown_returns_with_redis_frozen,
    bad_settings_and_names_are_typed_errors,
    retries_are_not_counted_as_reclaims,
    every_link_reconnects,
    connecting_changes_nothing,
    a_reused_name_meets_no_old_replies,
    entries_deleted_while_held_are_counted_so,
);
