//! What the pool-redis tests share: a Redis server, the runtimes, and a job that records its
//! runs.
#![allow(dead_code, unreachable_pub)]

pub mod runtimes;
pub mod server;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use pool_core::testkit::Harness;
use pool_core::{BoxError, Cancelled};
use pool_redis::{Consumer, ConsumerBuilder, Producer, Queue, Registry, RemoteContext, RemoteJob};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A job's key and the attempt it ran as.
pub type Run = (Uuid, u32);

/// Every run of a [`Probe`], by test.
static RUNS: Mutex<Option<HashMap<String, Vec<Run>>>> = Mutex::new(None);

/// A run and when it started, by the machine's clock (which Redis, on loopback, shares).
pub type Start = (Uuid, u32, SystemTime);

/// Every run of a [`Probe`] with its start, by test.
static STARTS: Mutex<Option<HashMap<String, Vec<Start>>>> = Mutex::new(None);

/// A job that records each run under its test's name, then does what it was told.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Probe {
    pub test: String,
    /// Fails every attempt before this one.
    pub fail_before_attempt: u32,
    /// Fails every attempt.
    pub poison: bool,
    /// Works this long (a sleep on a thread, so on any runtime).
    pub work_ms: u64,
    /// Waits for its cancellation (by its key, or the consumer's stop), then stops.
    pub until_cancelled: bool,
    /// Waits until the test opens this gate (see [`open_gate`]).
    pub gate: Option<String>,
    /// Fails every attempt until the test opens this gate.
    pub fail_until_gate: Option<String>,
    /// Counts itself among the probes running under this name while it runs (see
    /// [`most_running`]).
    pub running: Option<String>,
    /// Reports its progress this many times, 1 up to it, before it ends.
    pub progress_steps: u32,
}

impl Probe {
    pub fn new(test: &str) -> Self {
        Self {
            test: test.to_owned(),
            ..Self::default()
        }
    }
}

impl RemoteJob for Probe {
    const KIND: &'static str = "probe";
    type Output = u32;

    async fn run(self, ctx: RemoteContext) -> Result<u32, BoxError> {
        record(&self.test, ctx.job_key(), ctx.attempt());
        let _running = self.running.as_deref().map(Running::enter);
        for step in 1..=self.progress_steps {
            ctx.progress(step).await?;
        }
        if let Some(gate) = &self.gate {
            let _ = gate_of(gate).1.recv().await;
        }
        if self.until_cancelled {
            ctx.cancelled().await;
            return Err(Cancelled.into());
        }
        if self.work_ms > 0 {
            sleep(Duration::from_millis(self.work_ms)).await;
        }
        if self.poison {
            return Err("poison: fails every time".into());
        }
        if let Some(gate) = &self.fail_until_gate
            && !gate_of(gate).0.is_closed()
        {
            return Err(format!("the gate {gate:?} is shut").into());
        }
        if ctx.attempt() < self.fail_before_attempt {
            return Err(format!("flaky: attempt {} fails", ctx.attempt()).into());
        }
        Ok(ctx.attempt())
    }
}

fn record(test: &str, key: Uuid, attempt: u32) {
    let now = SystemTime::now();
    let mut runs = RUNS.lock().unwrap_or_else(PoisonError::into_inner);
    runs.get_or_insert_with(HashMap::new)
        .entry(test.to_owned())
        .or_default()
        .push((key, attempt));
    drop(runs);
    let mut starts = STARTS.lock().unwrap_or_else(PoisonError::into_inner);
    starts
        .get_or_insert_with(HashMap::new)
        .entry(test.to_owned())
        .or_default()
        .push((key, attempt, now));
}

/// The runs a test's probes recorded so far, with when each started.
pub fn starts(test: &str) -> Vec<Start> {
    let starts = STARTS.lock().unwrap_or_else(PoisonError::into_inner);
    starts
        .as_ref()
        .and_then(|starts| starts.get(test).cloned())
        .unwrap_or_default()
}

/// How many probes run now under each name, and the most that ever ran at once.
static RUNNING: Mutex<Option<HashMap<String, (usize, usize)>>> = Mutex::new(None);

/// A probe counted as running until dropped.
struct Running(String);

impl Running {
    fn enter(name: &str) -> Self {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        let (now, most) = running
            .get_or_insert_with(HashMap::new)
            .entry(name.to_owned())
            .or_default();
        *now += 1;
        *most = (*most).max(*now);
        Self(name.to_owned())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((now, _)) = running.get_or_insert_with(HashMap::new).get_mut(&self.0) {
            *now -= 1;
        }
    }
}

/// The most probes that ran at once under `name`, and how many run now.
pub fn most_running(name: &str) -> (usize, usize) {
    let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    running
        .as_ref()
        .and_then(|running| running.get(name).copied())
        .map_or((0, 0), |(now, most)| (most, now))
}

/// The gates probes wait at, by name: open once the sender is closed.
static GATES: Mutex<Option<HashMap<String, Gate>>> = Mutex::new(None);

type Gate = (async_channel::Sender<()>, async_channel::Receiver<()>);

fn gate_of(name: &str) -> Gate {
    let mut gates = GATES.lock().unwrap_or_else(PoisonError::into_inner);
    gates
        .get_or_insert_with(HashMap::new)
        .entry(name.to_owned())
        .or_insert_with(|| async_channel::bounded(1))
        .clone()
}

/// Lets every probe waiting at `gate` (and every later one) go on.
pub fn open_gate(gate: &str) {
    gate_of(gate).0.close();
}

/// The runs a test's probes recorded so far.
pub fn runs(test: &str) -> Vec<Run> {
    let runs = RUNS.lock().unwrap_or_else(PoisonError::into_inner);
    runs.as_ref()
        .and_then(|runs| runs.get(test).cloned())
        .unwrap_or_default()
}

/// A sleep on the pool's timer thread: the same on every runtime.
pub use pool_core::testkit::sleep;

/// Waits until `condition` holds, asking again every 20 ms: the state waited for is in
/// Redis, which has no events to wait on. Fails after 60 s, saying what it waited for.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition().await {
        assert!(Instant::now() < deadline, "waited 60 s for: {what}");
        sleep(Duration::from_millis(20)).await;
    }
}

/// A consumer of `queue` that runs [`Probe`]s on `H`'s runtime, with the builder's defaults
/// for each case to change.
pub fn probe_consumer<H: Harness>(url: &str, queue: &Queue) -> ConsumerBuilder<H::Executor> {
    Consumer::builder(
        url,
        queue.clone(),
        Registry::new().register::<Probe>(),
        H::executor(),
    )
}

/// What most cases start with: their own server, a queue, the name their probes record
/// under (unique per runtime), and a producer. `None` where redis-server is missing.
pub struct Setup {
    pub server: server::RedisServer,
    pub producer: Producer,
    url: String,
    queue: Queue,
    test: String,
}

impl Setup {
    pub async fn start<H: Harness>(case: &str) -> Option<Self> {
        Self::on::<H>(server::RedisServer::start()?, case).await
    }

    pub async fn on<H: Harness>(server: server::RedisServer, case: &str) -> Option<Self> {
        let (url, queue) = (server.url(), Queue::new(case));
        let producer = Producer::connect(&url, queue.clone()).await.unwrap();
        let test = format!("{case}/{}", std::any::type_name::<H>());
        Some(Self {
            server,
            producer,
            url,
            queue,
            test,
        })
    }

    /// The URL, the queue and the probes' name.
    pub fn names(&self) -> (String, Queue, String) {
        (self.url.clone(), self.queue.clone(), self.test.clone())
    }
}

/// Runs `consumer` to its end, which must not be an error.
pub async fn ran<E: pool_core::Executor>(consumer: &Consumer<E>) -> pool_redis::ConsumerStats {
    consumer
        .run()
        .await
        .expect("the consumer ran without error")
}

/// Whether `queue` is empty with nothing pending and nothing delayed (false while Redis does
/// not answer).
pub async fn drained(url: &str, queue: &Queue) -> bool {
    match pool_redis::queue_stats(url, queue).await {
        Ok(stats) => stats.length == 0 && stats.pending == 0 && stats.delayed == 0,
        Err(_) => false,
    }
}

/// Delivers up to `count` of `queue`'s new entries to consumer `name` from outside, as a
/// consumer that then died (or never saw the reply) would leave them: pending under `name`.
pub async fn deliver_to(url: &str, queue: &Queue, name: &str, count: usize) {
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("workers")
        .arg(name)
        .arg("COUNT")
        .arg(count)
        .arg("STREAMS")
        .arg(queue.jobs_key())
        .arg(">")
        .query_async(&mut connection(url).await)
        .await
        .unwrap();
}

/// A plain connection of the test's own, to look at or change Redis from outside.
pub async fn connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}
