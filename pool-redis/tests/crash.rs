//! The proof of the design: worker processes (one per runtime) killed with SIGKILL again and
//! again while they run 2,000 jobs (half of them delayed, so moved into the stream by the
//! consumers being killed), poison jobs among them and one that aborts its own process;
//! every job still ends exactly once, as a success or a dead letter.
//!
//! The same again on a Redis Cluster (3 masters, 3 replicas), whose queue's master fails over
//! twice mid-run: once by hand (`CLUSTER FAILOVER`), once frozen until the cluster promotes
//! its replica by itself.
//!
//! The worker processes are this test binary again, run with `CRASH_WORKER_URL` set: the
//! `crash_worker` "test" is then a consumer process, and returns at once otherwise.

mod support;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pool_core::BoxError;
use pool_core::testkit::Harness;
use pool_redis::doc_support::DocCluster;
use pool_redis::{
    Consumer, DeadLetters, Producer, Queue, Registry, RemoteContext, RemoteJob, RetryPolicy,
    queue_stats,
};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use support::runtimes::{AsyncStd, Smol, Tokio};
use support::server::RedisServer;

const JOBS: usize = 2_000;
const POISON_EVERY: usize = 100;
const KILLS: usize = 8;
/// A run killed with its process counts as an attempt (nobody can tell it from a job that
/// crashes its process, and the job that aborts must use its attempts up), so an innocent job
/// in a killed process is charged too. Jobs that died with a process run alone afterwards
/// (see `StartCount`), so the one that aborts no longer takes its neighbours down; 5 leaves
/// room for an innocent job caught in several of the 8 kills.
const MAX_ATTEMPTS: u32 = 5;
const RUNTIMES: [&str; 3] = ["tokio", "async-std", "smol"];

fn queue() -> Queue {
    Queue::new("crash")
}

/// The job: records its start and end in Redis (the records' own server: on a cluster, a
/// write lost in a failover would look like a job that never ran), works 5 to 30 ms (or 3x
/// the visibility timeout, for the long one), and fails (poison) or aborts its process if
/// told to.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CrashJob {
    work_ms: u64,
    poison: bool,
    abort: bool,
}

/// The worker process's Redis connection and consumer name, for the jobs' records.
static RECORDER: OnceLock<(redis::aio::MultiplexedConnection, String)> = OnceLock::new();

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

impl RemoteJob for CrashJob {
    const KIND: &'static str = "crash-job";
    type Output = ();

    async fn run(self, ctx: RemoteContext) -> Result<(), BoxError> {
        let (connection, consumer) = RECORDER.get().expect("set by the worker process");
        let mut connection = connection.clone();
        let started = format!("{} {} {}", ctx.job_key(), now_ms(), consumer);
        let _: () = connection.rpush("{crash}:starts", started).await?;
        if self.abort {
            std::process::abort();
        }
        support::sleep(Duration::from_millis(self.work_ms)).await;
        // Every run that returns records its end, a failed one too: a run without an end
        // is one whose process died.
        let ended = format!("{} {} {}", ctx.job_key(), now_ms(), consumer);
        let _: () = connection.rpush("{crash}:ends", ended).await?;
        if self.poison {
            return Err("poison: fails every time".into());
        }
        Ok(())
    }
}

/// A worker process, when this binary is run by [`crash_test`]; nothing otherwise.
#[test]
fn crash_worker() {
    let Ok(url) = std::env::var("CRASH_WORKER_URL") else {
        return;
    };
    let worker = Worker {
        url,
        records_url: std::env::var("CRASH_RECORDS_URL").unwrap(),
        visibility: Duration::from_millis(
            std::env::var("CRASH_VISIBILITY_MS")
                .unwrap()
                .parse()
                .unwrap(),
        ),
    };
    let runtime = std::env::var("CRASH_WORKER_RUNTIME").unwrap();
    match runtime.as_str() {
        "tokio" => Tokio::block_on(work::<Tokio>(worker)),
        "async-std" => AsyncStd::block_on(work::<AsyncStd>(worker)),
        _ => Smol::block_on(work::<Smol>(worker)),
    }
}

/// What a worker process is told.
#[derive(Clone, Debug)]
struct Worker {
    /// The queue's Redis.
    url: String,
    /// The jobs' records' Redis.
    records_url: String,
    visibility: Duration,
}

/// Consumes until killed.
async fn work<H: Harness>(
    Worker {
        url,
        records_url,
        visibility,
    }: Worker,
) {
    let consumer = Consumer::builder(
        &url,
        queue(),
        Registry::new().register::<CrashJob>(),
        H::executor(),
    )
    .workers(8)
    .visibility_timeout(visibility)
    .reclaim_every(Duration::from_millis(100))
    .retry(RetryPolicy::new(MAX_ATTEMPTS).with_first_backoff(Duration::from_millis(20)))
    .connect()
    .await
    .expect("a consumer");
    let connection = redis::Client::open(records_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _ = RECORDER.set((connection, consumer.name().to_owned()));
    consumer.run().await.expect("the worker ran");
}

/// A worker process on `runtime`.
fn spawn_worker(worker: &Worker, runtime: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_worker",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("CRASH_WORKER_URL", &worker.url)
        .env("CRASH_RECORDS_URL", &worker.records_url)
        .env(
            "CRASH_VISIBILITY_MS",
            worker.visibility.as_millis().to_string(),
        )
        .env("CRASH_WORKER_RUNTIME", runtime)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("a worker process")
}

/// A run of a job: when it started, when it ended (if its process lived), and where.
type Run<'a> = (u64, Option<u64>, &'a str);

/// One run of a job, as recorded: when, and by whom.
#[derive(Clone, Debug)]
struct Record {
    key: String,
    at: u64,
    consumer: String,
}

fn parse(records: &[String]) -> Vec<Record> {
    records
        .iter()
        .map(|line| {
            let mut parts = line.split(' ');
            Record {
                key: parts.next().unwrap().to_owned(),
                at: parts.next().unwrap().parse().unwrap(),
                consumer: parts.next().unwrap().to_owned(),
            }
        })
        .collect()
}

#[test]
fn crash_test() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let worker = Worker {
        url: server.url(),
        records_url: server.url(),
        visibility: Duration::from_secs(1),
    };
    crash_run(&worker, |_| ());
}

/// On a cluster, the queue's master fails over by hand after the second kill, and is frozen
/// until replaced after the fifth. The visibility timeout is longer than a failover takes
/// (the node timeout, 2 s, and an election): a lease that could not be renewed meanwhile
/// would let another consumer run the job while its holder still does.
#[test]
fn crash_test_on_a_cluster_failing_over() {
    let Some(cluster) = DocCluster::start(3) else {
        return;
    };
    let records = RedisServer::start().expect("redis-server, as the cluster's nodes");
    let worker = Worker {
        url: cluster.url(),
        records_url: records.url(),
        visibility: Duration::from_secs(8),
    };
    let queue_key = queue().jobs_key();
    let mut failovers = Vec::new();
    crash_run(&worker, |kills| {
        let master = cluster.master_of(&queue_key);
        match kills {
            2 => {
                cluster.fail_over(cluster.replica_of(master), false);
                failovers.push("by hand");
            }
            5 => {
                cluster.freeze_until_replaced(master);
                failovers.push("frozen");
            }
            _ => {}
        }
    });
    assert_eq!(failovers, ["by hand", "frozen"]);
}

/// Runs the jobs with worker processes killed and replaced, `disturb` called after each kill
/// with the number of kills so far, and checks what every job became.
fn crash_run(worker: &Worker, mut disturb: impl FnMut(usize)) {
    let url = worker.url.clone();
    let visibility = worker.visibility;
    Tokio::block_on(async {
        let producer = Producer::connect(&url, queue()).await.unwrap();
        let mut rng = fastrand::Rng::with_seed(u64::from(std::process::id()));
        let mut jobs: Vec<CrashJob> = (0..JOBS)
            .map(|n| CrashJob {
                work_ms: rng.u64(5..=30),
                poison: n % POISON_EVERY == 7,
                abort: false,
            })
            .collect();
        jobs[JOBS / 2].work_ms = u64::try_from(visibility.as_millis()).unwrap() * 3;
        jobs[JOBS / 3].abort = true;
        // Half the jobs wait in the delayed set first (due within a second), so that the
        // kills also land while consumers move them into the stream.
        let (now, later) = jobs.split_at(JOBS / 2);
        let mut keys = producer.enqueue_many(now).await.unwrap();
        for (group, chunk) in later.chunks(100).enumerate() {
            let delay = Duration::from_millis(50 * group as u64);
            keys.extend(producer.enqueue_many_in(chunk, delay).await.unwrap());
        }
        let poison: HashSet<String> = keys
            .iter()
            .zip(&jobs)
            .filter(|(_, job)| job.poison || job.abort)
            .map(|(key, _)| key.to_string())
            .collect();

        let mut workers: Vec<(Child, &str)> = RUNTIMES
            .iter()
            .map(|runtime| (spawn_worker(worker, runtime), *runtime))
            .collect();
        // When each consumer was killed (or died): a run of its may overlap a later run of
        // the same job only after that moment.
        let mut died_at: Vec<(u32, u64)> = Vec::new();
        let mut kills = 0;
        let mut next_kill = Instant::now() + Duration::from_millis(300);
        let started = Instant::now();
        loop {
            for (child, runtime) in &mut workers {
                if let Ok(Some(_)) = child.try_wait() {
                    // Died by itself (the job that aborts its process): replaced.
                    died_at.push((child.id(), now_ms()));
                    *child = spawn_worker(worker, runtime);
                }
            }
            if kills < KILLS && Instant::now() >= next_kill {
                let victim = rng.usize(..workers.len());
                let (child, runtime) = &mut workers[victim];
                child.kill().unwrap();
                child.wait().unwrap();
                died_at.push((child.id(), now_ms()));
                *child = spawn_worker(worker, runtime);
                kills += 1;
                disturb(kills);
                next_kill = Instant::now() + Duration::from_millis(rng.u64(200..=500));
            }
            let stats = queue_stats(&url, &queue()).await.unwrap();
            if kills == KILLS && stats.length == 0 && stats.pending == 0 && stats.delayed == 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the queue did not drain: {stats:?}"
            );
            support::sleep(Duration::from_millis(50)).await;
        }
        for (child, _) in &mut workers {
            let _ = child.kill();
            let _ = child.wait();
        }

        let client = redis::Client::open(worker.records_url.as_str()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let starts: Vec<String> = connection.lrange("{crash}:starts", 0, -1).await.unwrap();
        let ends: Vec<String> = connection.lrange("{crash}:ends", 0, -1).await.unwrap();
        let (starts, ends) = (parse(&starts), parse(&ends));
        let dead = DeadLetters::connect(&url, queue()).await.unwrap();
        let letters = dead.list(JOBS).await.unwrap();
        let stats = queue_stats(&url, &queue()).await.unwrap();

        // Every job ran at least once.
        let ran: HashSet<&str> = starts.iter().map(|run| run.key.as_str()).collect();
        for key in &keys {
            assert!(
                ran.contains(key.to_string().as_str()),
                "job {key} never ran"
            );
        }
        // Exactly the poison jobs (and the one that aborts) are dead letters, once each.
        let mut dead_keys: Vec<&str> = letters.iter().map(|letter| letter.key.as_str()).collect();
        dead_keys.sort_unstable();
        let mut expected: Vec<&str> = poison.iter().map(String::as_str).collect();
        expected.sort_unstable();
        let unexpected: Vec<_> = letters
            .iter()
            .filter(|letter| !poison.contains(&letter.key))
            .collect();
        assert!(
            unexpected.is_empty(),
            "dead letters that are not poison: {unexpected:#?}"
        );
        assert_eq!(
            dead_keys, expected,
            "the dead letters are exactly the poison jobs"
        );
        // Every other job completed (its end recorded) and was acknowledged: the stream is
        // empty, nothing is pending or waiting out a back-off.
        let completed: HashSet<&str> = ends.iter().map(|run| run.key.as_str()).collect();
        for key in &keys {
            let key = key.to_string();
            assert!(
                poison.contains(&key) || completed.contains(key.as_str()),
                "job {key} never completed"
            );
        }
        assert_eq!(
            (stats.length, stats.pending, stats.delayed),
            (0, 0, 0),
            "{stats:?}"
        );
        // Acknowledged exactly once or dead-lettered exactly once: the queue's totals count
        // each script that did it (an acknowledgement counts only an entry still pending).
        assert_eq!(
            (stats.acknowledged_total, stats.dead_lettered_total),
            ((JOBS - poison.len()) as u64, poison.len() as u64),
            "{stats:?}"
        );
        // No two runs of a job at once while the first one's consumer was alive. A run's end
        // is the next end its consumer recorded for the job (one consumer may run a job
        // twice: a retry); a run with none died with its process.
        let mut ends_of: HashMap<(&str, &str), Vec<u64>> = HashMap::new();
        for run in &ends {
            ends_of
                .entry((run.key.as_str(), run.consumer.as_str()))
                .or_default()
                .push(run.at);
        }
        let mut runs_of: HashMap<&str, Vec<Run<'_>>> = HashMap::new();
        let mut starts_of: HashMap<(&str, &str), Vec<u64>> = HashMap::new();
        for run in &starts {
            starts_of
                .entry((run.key.as_str(), run.consumer.as_str()))
                .or_default()
                .push(run.at);
        }
        for ((key, consumer), mut started_at) in starts_of {
            started_at.sort_unstable();
            let mut ended_at = ends_of.remove(&(key, consumer)).unwrap_or_default();
            ended_at.sort_unstable();
            for (n, start) in started_at.into_iter().enumerate() {
                runs_of
                    .entry(key)
                    .or_default()
                    .push((start, ended_at.get(n).copied(), consumer));
            }
        }
        let died: HashMap<u32, u64> = died_at.iter().copied().collect();
        let pid_of = |consumer: &str| -> u32 {
            // Default names are host-pid-suffix.
            consumer.rsplit('-').nth(1).unwrap().parse().unwrap()
        };
        let mut reruns_after_a_death = 0;
        for (key, mut runs) in runs_of {
            runs.sort_unstable();
            for pair in runs.windows(2) {
                let ((_, first_end, first), (next_start, _, next)) = (pair[0], pair[1]);
                let until = first_end.unwrap_or_else(|| {
                    // Its process died during the run: the job may run again only once that
                    // process was gone.
                    reruns_after_a_death += 1;
                    *died.get(&pid_of(first)).unwrap_or_else(|| {
                        panic!("a run of {key} never ended, yet {first} did not die")
                    })
                });
                assert!(
                    next_start >= until,
                    "job {key} ran on {next} while {first} still ran it, or held its lease: {runs:?}"
                );
            }
        }
        eprintln!(
            "crash test: {JOBS} jobs, {} runs, {} runs returned, {} dead letters, {} deaths ({kills} kills), {reruns_after_a_death} reruns of a job whose process died mid-run, {:.1} s",
            starts.len(),
            ends.len(),
            letters.len(),
            died_at.len(),
            started.elapsed().as_secs_f64()
        );
    });
}
