//! The distributed queue against a real redis-server, on every runtime.

mod support;

use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::doc_support::free_port;
use pool_redis::{
    ConsumerBuilder, DeadLetters, Producer, Queue, QueueError, RemoteOutcome, RetryPolicy,
    queue_stats,
};
use redis::AsyncCommands;
use support::server::RedisServer;
use support::{Probe, Setup, drained, eventually, open_gate, probe_consumer, ran, runs};

/// A consumer of `queue` for the probes, quick to retry and reclaim.
fn consumer<H: Harness>(url: &str, queue: &Queue) -> ConsumerBuilder<H::Executor> {
    probe_consumer::<H>(url, queue)
        .workers(4)
        .visibility_timeout(Duration::from_millis(600))
        .reclaim_every(Duration::from_millis(50))
        .retry(RetryPolicy::new(3).with_first_backoff(Duration::from_millis(20)))
}

/// A test's name, unique per runtime: the probes record under it.
fn test_name<H: Harness>(case: &str) -> String {
    format!("{case}/{}", std::any::type_name::<H>())
}

/// Every job runs once, on its first attempt, and is acknowledged and deleted: the stream
/// ends empty, nothing pending, and the consumer leaves the group when it stops.
pub async fn every_job_runs_and_is_acknowledged<H: Harness>() {
    let Some(setup) = Setup::start::<H>("basic").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let jobs: Vec<Probe> = (0..200).map(|_| Probe::new(&test)).collect();
    let keys = producer.enqueue_many(&jobs).await.unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.read, stats.acknowledged, stats.held), (200, 200, 0));
    let mut ran: Vec<_> = runs(&test);
    ran.sort();
    let mut expected: Vec<_> = keys.iter().map(|key| (*key, 1)).collect();
    expected.sort();
    assert_eq!(ran, expected, "each job once, on attempt 1");
    let queue_now = queue_stats(&url, &queue).await.unwrap();
    assert_eq!((queue_now.length, queue_now.dead_letters), (0, 0));
    assert!(queue_now.consumers.is_empty(), "{queue_now:?}");
}

/// A flaky job succeeds on its third attempt; a poison job is dead-lettered after its third,
/// with its error and attempts; re-queued, it runs (and fails) again.
pub async fn failures_retry_then_dead_letter<H: Harness>() {
    let Some(setup) = Setup::start::<H>("retries").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let flaky = producer
        .enqueue(&Probe {
            fail_before_attempt: 3,
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
    let consumer = consumer::<H>(&url, &queue)
        .keep_outcomes(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        let letters = dead.list(10).await.unwrap();
        assert_eq!(letters.len(), 1, "{letters:?}");
        let letter = &letters[0];
        assert_eq!(
            (letter.kind.as_str(), letter.key.as_str()),
            ("probe", &*poison.to_string())
        );
        assert_eq!(letter.attempts, 3);
        assert!(letter.error.contains("poison"), "{letter:?}");
        let outcome = producer
            .wait_outcome(flaky, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(outcome, Some(RemoteOutcome::Completed(3.into())));
        let outcome = producer
            .wait_outcome(poison, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(
            matches!(outcome, Some(RemoteOutcome::DeadLettered { .. })),
            "{outcome:?}"
        );
        // Re-queued, it runs three more times.
        assert!(dead.requeue(&letter.id).await.unwrap());
        assert!(!dead.requeue(&letter.id).await.unwrap(), "once");
        eventually("the poison to come back", || async {
            dead.list(10).await.unwrap().len() == 1 && drained(&url, &queue).await
        })
        .await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    let ran = runs(&test);
    let attempts = |key| -> Vec<u32> {
        ran.iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, a)| *a)
            .collect()
    };
    assert_eq!(attempts(flaky), [1, 2, 3]);
    assert_eq!(attempts(poison), [1, 2, 3, 1, 2, 3]);
    assert_eq!(
        (stats.acknowledged, stats.dead_lettered, stats.retried),
        (1, 2, 6)
    );
}

/// Entries no consumer can run are dead-lettered at once with the reason, never retried.
pub async fn entries_that_cannot_run_are_dead_lettered_with_the_reason<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (url, queue) = (server.url(), Queue::new("bad-input"));
    let producer = Producer::connect(&url, queue.clone()).await.unwrap();
    drop(producer);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let key = uuid::Uuid::new_v4().to_string();
    let entries: [&[(&str, &str)]; 3] = [
        &[("kind", "nobody-knows"), ("key", &key), ("payload", "{}")],
        &[("kind", "probe"), ("key", &key), ("payload", "not json")],
        &[("hello", "world")],
    ];
    for fields in entries {
        let _: String = raw.xadd(queue.jobs_key(), "*", fields).await.unwrap();
    }
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let dead = DeadLetters::connect(&url, queue.clone()).await.unwrap();
    let body = async {
        eventually("three dead letters", || async {
            dead.list(10).await.unwrap().len() == 3
        })
        .await;
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    let letters = dead.list(10).await.unwrap();
    assert!(letters[0].error.contains("unknown kind"), "{letters:?}");
    assert!(
        letters[1].error.contains("undecodable payload"),
        "{letters:?}"
    );
    assert!(letters[2].error.contains("malformed"), "{letters:?}");
    // None of them ever ran.
    assert!(
        letters.iter().all(|letter| letter.attempts == 0),
        "{letters:?}"
    );
    assert_eq!(
        (stats.dead_lettered, stats.retried, stats.acknowledged),
        (3, 0, 0)
    );
}

/// A consumer that read entries and died (here: read them and vanished) leaves them
/// pending; a living consumer reclaims them once their lease lapses. They run as attempt 1:
/// the dead consumer never started them, and attempts count runs, not deliveries.
pub async fn a_dead_consumers_entries_are_reclaimed<H: Harness>() {
    let Some(setup) = Setup::start::<H>("reclaim").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let jobs: Vec<Probe> = (0..20).map(|_| Probe::new(&test)).collect();
    let keys = producer.enqueue_many(&jobs).await.unwrap();
    support::deliver_to(&url, &queue, "died-holding-them", 20).await;
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.reclaimed, stats.acknowledged), (20, 20));
    let ran = runs(&test);
    assert_eq!(ran.len(), 20);
    assert!(
        ran.iter()
            .all(|(key, attempt)| keys.contains(key) && *attempt == 1),
        "{ran:?}"
    );
}

/// A dead consumer that held many read batches' worth is reclaimed at once, not a read batch
/// per reclaim period: 200 entries, reclaimed by a consumer reading 10 at a time whose next
/// reclaim period is a minute away, all run within its first.
pub async fn a_large_reclaim_goes_on_until_done<H: Harness>() {
    let Some(setup) = Setup::start::<H>("large-reclaim").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let jobs: Vec<Probe> = (0..200).map(|_| Probe::new(&test)).collect();
    setup.producer.enqueue_many(&jobs).await.unwrap();
    support::deliver_to(&url, &queue, "died-holding-them", 200).await;
    // Past the visibility timeout before the consumer's first reclaim, at its start.
    support::sleep(Duration::from_millis(700)).await;
    let consumer = consumer::<H>(&url, &queue)
        .read_batch(10)
        .reclaim_every(Duration::from_secs(60))
        .connect()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        let took = started.elapsed();
        (consumer.shutdown().await, took)
    };
    let (_, (stats, took)) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.reclaimed, stats.acknowledged), (200, 200));
    assert!(
        took < Duration::from_secs(60),
        "the reclaim waited for its next period: {took:?}"
    );
    assert_eq!(runs(&test).len(), 200);
}

/// `shutdown_now` gives back what it read but had not started, without charging an
/// attempt, and the job that stopped at its cancellation: another consumer runs them.
pub async fn shutdown_now_releases_unstarted_entries<H: Harness>() {
    let Some(setup) = Setup::start::<H>("release").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let mut jobs = vec![Probe {
        until_cancelled: true,
        ..Probe::new(&test)
    }];
    jobs.extend((0..5).map(|_| Probe::new(&test)));
    let keys = producer.enqueue_many(&jobs).await.unwrap();
    let first = consumer::<H>(&url, &queue)
        .workers(1)
        .prefetch(10)
        .connect()
        .await
        .unwrap();
    let body = async {
        // The first job holds the one worker; the rest wait in the local queue.
        eventually("the first job to start and the rest to be held", || async {
            runs(&test).len() == 1 && first.stats().held == 6
        })
        .await;
        first.shutdown_now().await
    };
    let (_, stats) = future::zip(ran(&first), body).await;
    assert_eq!(
        (stats.released, stats.acknowledged, stats.retried),
        (6, 0, 0)
    );
    // What it released is no longer its own: the queue shows it as released, and the
    // consumer, holding nothing, has left the group.
    let left = queue_stats(&url, &queue).await.unwrap();
    assert_eq!((left.pending, left.released), (6, 6), "{left:?}");
    assert!(left.consumers.is_empty(), "{left:?}");
    let second = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the five to complete", || async {
            second.stats().acknowledged == 5
        })
        .await;
        second.shutdown_now().await
    };
    let (_, stats) = future::zip(ran(&second), body).await;
    // The job that was cancelled runs again (and waits for cancellation again): its first
    // run started, so it counted (attempt 2 now). The five that never started run as
    // attempt 1: releasing them charged nothing.
    assert_eq!(stats.acknowledged, 5);
    let ran = runs(&test);
    let attempts = |key: &uuid::Uuid| -> Vec<u32> {
        ran.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, a)| *a)
            .collect()
    };
    assert_eq!(attempts(&keys[0]), [1, 2], "{ran:?}");
    for key in &keys[1..] {
        assert_eq!(attempts(key), [1], "{ran:?}");
    }
}

/// A graceful shutdown mid-run stops reading, lets the jobs it holds finish, acknowledges
/// them (gives back unstarted any that a read in flight brought as it stopped), and leaves
/// the group holding nothing; the rest of the queue waits for others.
pub async fn a_graceful_shutdown_settles_what_it_holds<H: Harness>() {
    let Some(setup) = Setup::start::<H>("graceful").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let job = Probe {
        work_ms: 20,
        ..Probe::new(&test)
    };
    producer.enqueue_many(&vec![job; 100]).await.unwrap();
    let consumer = consumer::<H>(&url, &queue)
        .workers(2)
        .prefetch(2)
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("some jobs to run", || async {
            consumer.stats().acknowledged >= 10
        })
        .await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.held, 0);
    // Every entry read ran and was acknowledged, but one a read in flight brought back as
    // the stop began: that one was given back unstarted.
    assert_eq!(
        stats.acknowledged + stats.released,
        stats.read,
        "every entry read is settled: {stats:?}"
    );
    assert_eq!(runs(&test).len() as u64, stats.acknowledged);
    let left = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(
        (left.pending, left.length),
        (stats.released, 100 - stats.acknowledged),
        "only what it gave back is pending, for another to take: {left:?}"
    );
    if stats.released == 0 {
        assert!(left.consumers.is_empty(), "it left the group: {left:?}");
    }
}

/// `shutdown_timeout`: jobs that end within the timeout are settled as usual; one that runs
/// on is cancelled at the deadline, and given back for another consumer.
pub async fn shutdown_timeout_cancels_at_the_deadline<H: Harness>() {
    let Some(setup) = Setup::start::<H>("deadline").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let stuck = producer
        .enqueue(&Probe {
            until_cancelled: true,
            ..Probe::new(&test)
        })
        .await
        .unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the job to start", || async { !runs(&test).is_empty() }).await;
        consumer.shutdown_timeout(Duration::from_millis(100)).await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!((stats.released, stats.held), (1, 0), "{stats:?}");
    let left = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(
        (left.length, left.pending),
        (1, 1),
        "given back, for another: {left:?}"
    );
    assert_eq!(runs(&test), [(stuck, 1)]);
}

/// A shutdown of a consumer nobody ran returns (it settles what the pool holds itself), and
/// a harsher shutdown escalates one under way: a graceful stop waiting for a job that only
/// stops when cancelled ends once `shutdown_now` is called beside it.
pub async fn shutdowns_return_and_escalate<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (url, queue, test) = (
        server.url(),
        Queue::new("escalate"),
        test_name::<H>("escalate"),
    );
    let never_run = consumer::<H>(&url, &queue).connect().await.unwrap();
    let stats = never_run.shutdown().await;
    assert_eq!((stats.read, stats.held), (0, 0));
    let producer = Producer::connect(&url, queue.clone()).await.unwrap();
    producer
        .enqueue(&Probe {
            until_cancelled: true,
            ..Probe::new(&test)
        })
        .await
        .unwrap();
    let consumer = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the job to start", || async { !runs(&test).is_empty() }).await;
        let graceful = consumer.shutdown();
        let harsher = async {
            eventually("the graceful stop to begin", || async {
                consumer.stats().read == 1
            })
            .await;
            consumer.shutdown_now().await
        };
        future::zip(graceful, harsher).await
    };
    let (_, (graceful, now)) = future::zip(ran(&consumer), body).await;
    assert_eq!(graceful, now);
    assert_eq!((now.released, now.held), (1, 0), "{now:?}");
}

/// Consumers that hold nothing and have been idle past the threshold (processes that died)
/// are removed from the group; one that holds entries is kept, however idle.
pub async fn gone_consumers_are_forgotten<H: Harness>() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (url, queue) = (server.url(), Queue::new("forget"));
    let producer = Producer::connect(&url, queue.clone()).await.unwrap();
    producer
        .enqueue(&Probe::new("forget-unused"))
        .await
        .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    for gone in ["gone-1", "gone-2"] {
        let _: u64 = redis::cmd("XGROUP")
            .arg("CREATECONSUMER")
            .arg(queue.jobs_key())
            .arg("workers")
            .arg(gone)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    support::deliver_to(&url, &queue, "holder", 1).await;
    let consumer = consumer::<H>(&url, &queue)
        .visibility_timeout(Duration::from_secs(60))
        .reclaim_every(Duration::from_millis(20))
        .forget_consumers_after(Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("the gone consumers to be removed", || async {
            let mut names: Vec<String> = queue_stats(&url, &queue)
                .await
                .unwrap()
                .consumers
                .into_iter()
                .map(|consumer| consumer.name)
                .collect();
            names.sort();
            names == ["holder".to_owned(), consumer.name().to_owned()]
                || names == [consumer.name().to_owned(), "holder".to_owned()]
        })
        .await;
        consumer.shutdown().await
    };
    future::zip(ran(&consumer), body).await;
}

/// A job three times longer than the visibility timeout keeps its lease by renewal: a second
/// consumer, reclaiming all along, never runs it.
pub async fn a_long_job_keeps_its_lease<H: Harness>() {
    let Some(setup) = Setup::start::<H>("lease").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let long = Probe {
        work_ms: 1_800,
        ..Probe::new(&test)
    };
    let key = producer.enqueue(&long).await.unwrap();
    let holder = consumer::<H>(&url, &queue).connect().await.unwrap();
    let rival = consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        eventually("the queue to drain", || drained(&url, &queue)).await;
        let rival_stats = rival.shutdown().await;
        let holder_stats = holder.shutdown().await;
        (holder_stats, rival_stats)
    };
    let ((_, _), (holder_stats, rival_stats)) =
        future::zip(future::zip(ran(&holder), ran(&rival)), body).await;
    assert_eq!(runs(&test), [(key, 1)], "ran once");
    let (by_holder, by_rival) = if holder_stats.acknowledged == 1 {
        (holder_stats, rival_stats)
    } else {
        (rival_stats, holder_stats)
    };
    assert!(by_holder.lease_renewals >= 2, "{by_holder:?}");
    assert_eq!((by_rival.reclaimed, by_holder.leases_lost), (0, 0));
}

/// Bad input at the edges: an unreachable Redis is a typed error at start, and a consumer
/// name already in the group is refused.
pub async fn bad_input_is_a_typed_error<H: Harness>() {
    let nowhere = format!("redis://127.0.0.1:{}", free_port());
    let refused = Producer::connect(&nowhere, Queue::new("q"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Unreachable { .. }),
        "{refused}"
    );
    let refused = consumer::<H>(&nowhere, &Queue::new("q"))
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueueError::Unreachable { .. }),
        "{refused}"
    );
    if let Some(server) = RedisServer::start() {
        // A queue nobody has used yet is empty, not an error.
        let unused = queue_stats(&server.url(), &Queue::new("unused"))
            .await
            .unwrap();
        assert_eq!((unused.length, unused.consumers.len()), (0, 0));
    }
    let refused = Producer::connect("http://not-redis", Queue::new("q"))
        .await
        .unwrap_err();
    assert!(matches!(refused, QueueError::BadUrl { .. }), "{refused}");
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (url, queue) = (server.url(), Queue::new("names"));
    let named = consumer::<H>(&url, &queue)
        .name("worker-a")
        .connect()
        .await
        .unwrap();
    let body = async {
        let listed = queue_stats(&url, &queue).await.unwrap().consumers;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].name, "worker-a");
        let taken = consumer::<H>(&url, &queue)
            .name("worker-a")
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(taken, QueueError::NameInUse(ref name) if name == "worker-a"),
            "{taken}"
        );
        named.shutdown().await
    };
    future::zip(ran(&named), body).await;
}

/// Acknowledged entries leave the stream, one by one or trimmed together below the oldest
/// entry still needed, and no other entry does: a watcher checks, while a producer adds jobs
/// and two consumers settle them, that every pending entry is still in the stream; one job,
/// read first, is held back until the rest have run (so the oldest needed entry stays put
/// and the others are deleted one by one), then let go (and the trim takes the rest).
pub async fn settling_deletes_only_what_is_settled<H: Harness>() {
    let Some(setup) = Setup::start::<H>("trimmed").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let gate = format!("{test}/gate");
    let held = Probe {
        gate: Some(gate.clone()),
        ..Probe::new(&test)
    };
    let mut keys = vec![producer.enqueue(&held).await.unwrap()];
    let consumers = [
        consumer::<H>(&url, &queue)
            .read_batch(10)
            .connect()
            .await
            .unwrap(),
        consumer::<H>(&url, &queue)
            .read_batch(10)
            .connect()
            .await
            .unwrap(),
    ];
    let missing_pending = redis::Script::new(
        r"
local missing = 0
for _, entry in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 100000)) do
  if #redis.call('XRANGE', KEYS[1], entry[1], entry[1]) == 0 then missing = missing + 1 end
end
return missing
",
    );
    let mut watcher = support::connection(&url).await;
    let jobs = 600;
    let body = async {
        for _ in 0..jobs / 100 {
            let batch = vec![Probe::new(&test); 100];
            keys.extend(producer.enqueue_many(&batch).await.unwrap());
        }
        let mut look = async || {
            let missing: u64 = missing_pending
                .key(queue.jobs_key())
                .arg("workers")
                .invoke_async(&mut watcher)
                .await
                .unwrap();
            assert_eq!(missing, 0, "a pending entry left the stream");
        };
        // Every job has started (the held one records its run before it waits).
        while runs(&test).len() < jobs + 1 {
            look().await;
        }
        // The others settle; the held one is the oldest entry still needed.
        while queue_stats(&url, &queue).await.unwrap().length > 1 {
            look().await;
        }
        open_gate(&gate);
        while !drained(&url, &queue).await {
            look().await;
        }
        eventually("the queue to drain", || drained(&url, &queue)).await;
        for consumer in &consumers {
            consumer.shutdown().await;
        }
    };
    let (_, ()) = future::zip(future::zip(ran(&consumers[0]), ran(&consumers[1])), body).await;
    let stats = consumers[0].stats() + consumers[1].stats();
    assert_eq!(
        (stats.acknowledged, stats.deleted_while_pending),
        (jobs as u64 + 1, 0),
        "{stats:?}"
    );
    let queue_now = queue_stats(&url, &queue).await.unwrap();
    assert_eq!(
        (queue_now.length, queue_now.acknowledged_total),
        (0, jobs as u64 + 1)
    );
    let mut ran: Vec<_> = runs(&test);
    ran.sort();
    let mut expected: Vec<_> = keys.iter().map(|key| (*key, 1)).collect();
    expected.sort();
    assert_eq!(ran, expected, "each job once");
}

on_every_runtime!(
    settling_deletes_only_what_is_settled,
    every_job_runs_and_is_acknowledged,
    failures_retry_then_dead_letter,
    entries_that_cannot_run_are_dead_lettered_with_the_reason,
    a_dead_consumers_entries_are_reclaimed,
    a_large_reclaim_goes_on_until_done,
    shutdown_now_releases_unstarted_entries,
    a_long_job_keeps_its_lease,
    bad_input_is_a_typed_error,
    a_graceful_shutdown_settles_what_it_holds,
    shutdown_timeout_cancels_at_the_deadline,
    gone_consumers_are_forgotten,
    shutdowns_return_and_escalate,
);
