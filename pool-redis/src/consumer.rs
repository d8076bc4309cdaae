//! A consumer: one per process, reading a queue through the group into a local pool.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use futures_lite::future;
use pool_core::{CancellationToken, Executor, JobId, Results, WorkerPool};
use redis::Client;

use crate::connection::{Link, SharedConnection};
use crate::error::{client, unreachable};
use crate::group::ensure_group;
use crate::queue::GROUP;
use crate::starts::Starts;
use crate::stats::Counters;
use crate::{ConsumerStats, Queue, QueueError, Registry, RetryPolicy};

/// Builds a [`Consumer`]; from [`Consumer::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `connect` is called"]
pub struct ConsumerBuilder<E> {
    url: String,
    queue: Queue,
    registry: Registry,
    executor: E,
    pub(crate) config: Config,
    name: Option<String>,
}

/// The settings a running consumer reads.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) workers: usize,
    pub(crate) prefetch: usize,
    pub(crate) read_batch: usize,
    pub(crate) visibility: Duration,
    pub(crate) block: Duration,
    pub(crate) reclaim_every: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) outcomes_ttl: Option<Duration>,
    pub(crate) job_timeout: Option<Duration>,
    pub(crate) forget_after: Duration,
}

impl Config {
    /// How long a consumer holding nothing must have been idle to count as gone: never less
    /// than ten reclaim periods, in which a live consumer reads ten times.
    pub(crate) fn gone_after(&self) -> Duration {
        self.forget_after.max(self.reclaim_every.saturating_mul(10))
    }
}

impl<E: Executor + Clone> ConsumerBuilder<E> {
    /// Local workers: at most this many jobs run at once in this process. Default 8.
    pub fn workers(mut self, workers: usize) -> Self {
        self.config.workers = workers;
        self
    }

    /// Entries held beyond the running ones, queued locally so that a worker never waits for
    /// a round trip. Default: as many as the workers. Every held entry is under lease.
    pub fn prefetch(mut self, prefetch: usize) -> Self {
        self.config.prefetch = prefetch;
        self
    }

    /// The most entries one read asks for. Default 100 (never more than the free room).
    pub fn read_batch(mut self, batch: usize) -> Self {
        self.config.read_batch = batch.max(1);
        self
    }

    /// How long an entry may go without its holder's lease renewal before another consumer
    /// may reclaim it. Held entries are renewed every third of it. Default 30 s.
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.config.visibility = timeout;
        self
    }

    /// How often this consumer looks for entries to reclaim (lapsed leases, back-offs that
    /// have passed, entries released by a stopping consumer). Default 1 s.
    pub fn reclaim_every(mut self, period: Duration) -> Self {
        self.config.reclaim_every = period;
        self
    }

    /// How failed jobs are retried. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Keeps each job's outcome for `ttl`, for [`Producer::wait_outcome`](crate::Producer::wait_outcome).
    pub fn keep_outcomes(mut self, ttl: Duration) -> Self {
        self.config.outcomes_ttl = Some(ttl);
        self
    }

    /// Removes from the group the consumers that hold nothing and have been idle this long:
    /// processes that died (their entries reclaimed by now). Default 10 minutes; never less
    /// than ten reclaim periods.
    pub fn forget_consumers_after(mut self, idle: Duration) -> Self {
        self.config.forget_after = idle;
        self
    }

    /// Stops a job that runs longer than `limit` (a failed run, retried).
    pub fn job_timeout(mut self, limit: Duration) -> Self {
        self.config.job_timeout = Some(limit);
        self
    }

    /// The consumer's name in the group. Default: host, process id and a random suffix, new
    /// on every start. A name is never reused: a process that restarts must not take over
    /// the entries its previous life held (the living reclaim them).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Connects, creates the queue's group if needed, checks the name, and starts the local
    /// pool. Then call [`Consumer::run`].
    ///
    /// # Errors
    ///
    /// [`QueueError::Unreachable`] if Redis does not answer, [`QueueError::NameInUse`], or a
    /// pool setting out of range ([`QueueError::Config`]).
    pub async fn connect(self) -> Result<Consumer<E>, QueueError> {
        let client = client(&self.url)?;
        let mut commands = Link::commands(&client);
        let connection = commands.get().await.map_err(unreachable(&self.url))?;
        ensure_group(connection, &self.queue).await?;
        let name = self.name.unwrap_or_else(default_name);
        let config = self.config;
        let held_at_most = config.workers + config.prefetch;
        let pool = WorkerPool::<E, String>::with_executor(self.executor.clone())
            .name(format!("{}/{name}", self.queue.name()))
            .workers(config.workers)
            .queue_capacity(held_at_most.max(1));
        let pool = match config.job_timeout {
            Some(limit) => pool.job_timeout(limit),
            None => pool,
        };
        let (pool, results) = pool
            .build_with_results(held_at_most.max(1))
            .map_err(|error| QueueError::Config(error.to_string()))?;
        // Registers the name once the settings are known good (so `status` lists the
        // consumer before it reads), and says whether it was new: a check and a claim in one step, so two processes started
        // with one name cannot both pass.
        let created: u64 = redis::cmd("XGROUP")
            .arg("CREATECONSUMER")
            .arg(self.queue.jobs_key())
            .arg(GROUP)
            .arg(&name)
            .query_async(connection)
            .await?;
        if created == 0 {
            return Err(QueueError::NameInUse(name));
        }
        pool.start()
            .map_err(|error| QueueError::Config(error.to_string()))?;
        let (slots_tx, slots_rx) = async_channel::bounded(held_at_most.max(1));
        let runs = Arc::new(SharedConnection::new(&client, connection.clone()));
        tracing::info!(queue = %self.queue.name(), consumer = %name, workers = config.workers, "consumer connected");
        Ok(Consumer {
            shared: Arc::new(Shared {
                queue: self.queue,
                name,
                client,
                registry: self.registry,
                executor: self.executor,
                config,
                pool,
                results,
                held: Mutex::default(),
                slots: Slots {
                    take: slots_tx,
                    give: slots_rx,
                },
                counters: Counters::default(),
                runs,
                starts: Starts::new(),
                isolation: Arc::default(),
                stopping: CancellationToken::new(),
                reading_done: CancellationToken::new(),
                settled: CancellationToken::new(),
                finished: CancellationToken::new(),
                run_started: AtomicBool::new(false),
                renewing: async_lock::RwLock::new(()),
            }),
        })
    }
}

/// A consumer of a queue: reads entries through the queue's group (as one named consumer)
/// into a local [`WorkerPool`], acknowledges each job once it ran to success, retries failed
/// ones, dead-letters those out of attempts, renews the lease of every entry it holds, and
/// reclaims entries whose holder's lease lapsed. Clones share it.
///
/// Drive it with [`run`](Self::run); stop it from another task with a shutdown, which
/// returns once `run` has settled every entry it held.
pub struct Consumer<E: Executor> {
    pub(crate) shared: Arc<Shared<E>>,
}

/// What the parts of a running consumer share.
pub(crate) struct Shared<E: Executor> {
    pub(crate) queue: Queue,
    pub(crate) name: String,
    pub(crate) client: Client,
    pub(crate) registry: Registry,
    pub(crate) executor: E,
    pub(crate) config: Config,
    pub(crate) pool: WorkerPool<E, String>,
    pub(crate) results: Results<String>,
    /// The entries held, by the local job that runs each.
    pub(crate) held: Mutex<HashMap<JobId, crate::Job>>,
    pub(crate) slots: Slots,
    pub(crate) counters: Counters,
    /// The connection the local jobs count their starts on.
    pub(crate) runs: Arc<SharedConnection>,
    /// The starts waiting to be counted on `runs`.
    pub(crate) starts: Starts,
    /// Runs share it; a job suspected of crashing its process holds it alone.
    pub(crate) isolation: Arc<async_lock::RwLock<()>>,
    /// Set by a shutdown: stop reading and reclaiming.
    pub(crate) stopping: CancellationToken,
    pub(crate) reading_done: CancellationToken,
    /// Every local job's outcome has been acted on.
    pub(crate) settled: CancellationToken,
    /// `run` has returned.
    pub(crate) finished: CancellationToken,
    /// `run` was called, or a shutdown drives the consumer because it was not.
    pub(crate) run_started: AtomicBool,
    /// Held (shared) by a lease renewal round from its copy of the held ids to its reply;
    /// taken alone by a settlement that gives an entry back or retries it, so that a renewal
    /// sent before cannot reset the idle time those set.
    pub(crate) renewing: async_lock::RwLock<()>,
}

/// Room for held entries: a reader takes a slot per entry before it reads, and the entry's
/// settlement gives it back, so a consumer never holds (and leases) more than it can run soon.
pub(crate) struct Slots {
    take: Sender<()>,
    give: Receiver<()>,
}

impl Slots {
    /// Takes up to `wanted` slots, waiting for the first; `None` if `stop` fires first.
    pub(crate) async fn take(&self, wanted: usize, stop: &CancellationToken) -> Option<usize> {
        let first = async { self.take.send(()).await.ok() };
        let stopped = async {
            stop.cancelled().await;
            None
        };
        future::or(stopped, first).await?;
        let mut taken = 1;
        while taken < wanted && self.take.try_send(()).is_ok() {
            taken += 1;
        }
        Some(taken)
    }

    /// Gives `n` slots back.
    pub(crate) fn give(&self, n: usize) {
        for _ in 0..n {
            let _ = self.give.try_recv();
        }
    }
}

impl<E: Executor + Clone> Consumer<E> {
    /// A consumer of `queue` at Redis `url`, running the job types of `registry` on a local
    /// pool on `executor`.
    pub fn builder(
        url: impl Into<String>,
        queue: Queue,
        registry: Registry,
        executor: E,
    ) -> ConsumerBuilder<E> {
        ConsumerBuilder {
            url: url.into(),
            queue,
            registry,
            executor,
            config: Config {
                workers: 8,
                prefetch: 8,
                read_batch: 100,
                visibility: Duration::from_secs(30),
                block: Duration::from_secs(1),
                reclaim_every: Duration::from_secs(1),
                retry: RetryPolicy::default(),
                outcomes_ttl: None,
                job_timeout: None,
                forget_after: Duration::from_secs(600),
            },
            name: None,
        }
    }

    /// The consumer's name in the group.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Its counts so far.
    pub fn stats(&self) -> ConsumerStats {
        self.shared.counters.snapshot(self.shared.held().len())
    }

    /// Reads, runs and settles jobs until a shutdown has settled everything it held; returns
    /// the final counts. Call it from a task of its own; a second call waits for the first.
    /// A shutdown of a consumer that was never run settles what it holds itself.
    pub async fn run(&self) -> ConsumerStats {
        if self.shared.run_started.swap(true, Ordering::AcqRel) {
            // Running already (a second call), or driven by a shutdown: wait for it.
            self.shared.finished.cancelled().await;
            return self.stats();
        }
        self.drive().await
    }

    /// The consumer's loops, to their end. Whatever way it ends (returned, or dropped by its
    /// caller), a waiting shutdown hears of it.
    async fn drive(&self) -> ConsumerStats {
        let shared = &*self.shared;
        let _finished = shared.finished.clone().drop_guard();
        let reading = async {
            shared.read_until_stopped().await;
            shared.reading_done.cancel();
        };
        let settling = async {
            shared.settle_until_drained().await;
            shared.settled.cancel();
        };
        // Every job's start is counted before it runs, until every outcome is settled.
        let runs_key = shared.queue.runs_key();
        let counting = shared.starts.count_until(
            &shared.runs,
            &runs_key,
            shared.config.retry.max_attempts,
            &shared.settled,
        );
        // Boxed: together the loops are a large future, too large for the stack of a
        // thread that runs it in place (`block_on`) in a debug build.
        future::zip(
            future::zip(Box::pin(reading), Box::pin(settling)),
            future::zip(Box::pin(shared.renew_until_settled()), Box::pin(counting)),
        )
        .await;
        shared.leave_group_if_idle().await;
        let stats = self.stats();
        tracing::info!(queue = %shared.queue.name(), consumer = %shared.name, ?stats, "consumer stopped");
        stats
    }

    /// Stops reading, lets the local pool finish every job it holds, settles them, and
    /// returns once [`run`](Self::run) has.
    pub async fn shutdown(&self) -> ConsumerStats {
        self.stop(Stop::Graceful).await
    }

    /// Stops reading and gives the entries read but not started back to the group at once,
    /// without charging an attempt, so that another consumer takes them within about its
    /// reclaim period; running jobs see cancellation and are settled as they end.
    pub async fn shutdown_now(&self) -> ConsumerStats {
        self.stop(Stop::Now).await
    }

    /// As [`shutdown`](Self::shutdown) for up to `timeout`, then as
    /// [`shutdown_now`](Self::shutdown_now); jobs still running past the local pool's grace
    /// period are aborted, and retried (their attempt counts).
    pub async fn shutdown_timeout(&self, timeout: Duration) -> ConsumerStats {
        self.stop(Stop::Deadline(timeout)).await
    }

    async fn stop(&self, how: Stop) -> ConsumerStats {
        let shared = &*self.shared;
        shared.stopping.cancel();
        // Nobody ran the consumer: the shutdown drives it, to settle what the pool holds.
        let drive_here = !shared.run_started.swap(true, Ordering::AcqRel);
        let driving = async {
            if drive_here {
                self.drive().await;
            }
        };
        future::zip(self.stop_pool(how), driving).await;
        shared.finished.cancelled().await;
        self.stats()
    }

    /// Stops the local pool as `how` says. A later, harsher call escalates one under way
    /// (the pool refuses a second shutdown, so its token is cancelled instead, as the pool
    /// documents): a second Ctrl-C stops now.
    async fn stop_pool(&self, how: Stop) {
        let shared = &*self.shared;
        let pool = &shared.pool;
        match how {
            Stop::Graceful => {
                let _ = pool.shutdown().await;
            }
            Stop::Now => {
                if pool.shutdown_now().await.is_err() {
                    pool.cancellation_token().cancel();
                }
            }
            Stop::Deadline(timeout) => {
                if pool.shutdown_timeout(timeout).await.is_err() {
                    let expired = async {
                        shared.executor.sleep(timeout).await;
                        true
                    };
                    let finished = async {
                        shared.finished.cancelled().await;
                        false
                    };
                    if future::or(finished, expired).await {
                        pool.cancellation_token().cancel();
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Graceful,
    Now,
    Deadline(Duration),
}

impl<E: Executor> Clone for Consumer<E> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<E: Executor> std::fmt::Debug for Consumer<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", &self.shared.queue.name())
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}

impl<E: Executor> Shared<E> {
    pub(crate) fn held(&self) -> MutexGuard<'_, HashMap<JobId, crate::Job>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits `period`, or less if the consumer is stopping.
    pub(crate) async fn pause(&self, period: Duration) {
        future::or(self.executor.sleep(period), self.stopping.cancelled()).await;
    }

    /// Removes this consumer from the group once it holds nothing: consumer names are never
    /// reused, so a gone one would only clutter `XINFO`.
    async fn leave_group_if_idle(&self) {
        let mut link = Link::commands(&self.client);
        let Ok(connection) = link.get().await else {
            return;
        };
        // DELCONSUMER drops a consumer's pending entries from the group, where nobody would
        // ever reclaim them: only a consumer that holds none leaves, checked and removed in
        // one script (a claim sent earlier cannot land in between). One that could not settle,
        // Redis being down, stays listed until its entries are reclaimed.
        let mut invocation = crate::scripts::FORGET.prepare_invoke();
        invocation
            .key(self.queue.jobs_key())
            .arg(GROUP)
            .arg(&self.name)
            .arg(0);
        match invocation.invoke_async::<u64>(connection).await {
            Ok(1) => {}
            Ok(_) => {
                tracing::warn!(consumer = %self.name, "stopped holding entries: the living will reclaim them")
            }
            Err(error) => {
                tracing::warn!(consumer = %self.name, %error, "could not leave the group")
            }
        }
    }
}

/// A name no other process has used: host, process id, and a random suffix.
fn default_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &suffix[..8])
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_names_differ() {
        assert_ne!(super::default_name(), super::default_name());
    }
}
