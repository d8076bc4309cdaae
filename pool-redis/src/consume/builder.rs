//! Building a consumer: its settings, checked, and its first contact with Redis.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::connection::Connection;
use pool_core::{CancellationToken, Executor, WorkerPool};

use crate::Schedule;
use crate::consume::config::Periodic;
use crate::consume::config::{Config, ConfigError};
use crate::consume::core::ConsumerCore;
use crate::consume::hold::slots::Slots;
use crate::consume::limit::admission::Admission;
use crate::consume::queue_state::QueueState;
use crate::consume::queues::Queues;
use crate::consume::run::crash_isolation::CrashIsolation;
use crate::consume::run::starts::Starts;
use crate::consume::stats::Counters;
use crate::error::unreachable;
use crate::job::middleware::Middleware;
use crate::job::progress::{PROGRESS_KEPT, ProgressSink};
use crate::job::registry::Completed;
use crate::job::shared_data::SharedData;
use crate::store::group::{ensure_group, register};
use crate::store::probe;
use crate::store::queue::GROUP;
use crate::store::server::Server;
use crate::{Consumer, QueueError, Registry, RetryPolicy};

/// Builds a [`Consumer`]; from [`Consumer::builder`].
#[must_use = "a builder does nothing until `connect` is called"]
pub struct ConsumerBuilder<E> {
    url: String,
    queues: Queues,
    registry: Registry,
    executor: E,
    config: Config,
    name: Option<String>,
    data: SharedData,
    middleware: Vec<Arc<dyn Middleware>>,
}

impl<E> std::fmt::Debug for ConsumerBuilder<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL without its password.
        f.debug_struct("ConsumerBuilder")
            .field("url", &crate::Redacted::url(&self.url))
            .field("queues", &self.queues)
            .field("registry", &self.registry)
            .field("config", &self.config)
            .field("name", &self.name)
            .field("data", &self.data)
            .field("middleware", &self.middleware.len())
            .finish_non_exhaustive()
    }
}

impl<E: Executor + Clone> Consumer<E> {
    /// A consumer of `queues` (a [`Queue`](crate::Queue), or several by weight or priority:
    /// [`Queues`]) at Redis `url`, running the job types of `registry` on a local pool on
    /// `executor`.
    pub fn builder(
        url: impl Into<String>,
        queues: impl Into<Queues>,
        registry: Registry,
        executor: E,
    ) -> ConsumerBuilder<E> {
        ConsumerBuilder {
            url: url.into(),
            queues: queues.into(),
            registry,
            executor,
            config: Config::default(),
            name: None,
            data: SharedData::default(),
            middleware: Vec::new(),
        }
    }
}

impl<E: Executor + Clone> ConsumerBuilder<E> {
    /// Local workers: at most this many jobs run at once in this process. Default 8.
    pub fn workers(mut self, workers: usize) -> Self {
        self.config.workers = workers;
        self
    }

    /// Entries held beyond the running ones, queued locally so that a worker never waits for
    /// a round trip. Default: as many as the [`workers`](Self::workers), whenever they are
    /// set. Every held entry is under lease. `workers + prefetch` may be
    /// at most [`pool_core::MAX_QUEUE_CAPACITY`].
    pub fn prefetch(mut self, prefetch: usize) -> Self {
        self.config.prefetch = Some(prefetch);
        self
    }

    /// The most entries one read asks for. Default 100 (never more than the free room); at
    /// least 1.
    pub fn read_batch(mut self, batch: usize) -> Self {
        self.config.read_batch = batch;
        self
    }

    /// How long an entry may go without its holder's lease renewal before another consumer
    /// may reclaim it. Held entries are renewed every third of it. Default 30 s; at least
    /// [`MIN_VISIBILITY_TIMEOUT`](crate::MIN_VISIBILITY_TIMEOUT).
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.config.visibility = timeout;
        self
    }

    /// How often this consumer looks for entries to reclaim (lapsed leases, back-offs that
    /// have passed, entries released by a stopping consumer). Default 1 s; not zero.
    pub fn reclaim_every(mut self, period: Duration) -> Self {
        self.config.reclaim_every = period;
        self
    }

    /// How failed jobs are retried, unless [`retry_for`](Self::retry_for) says otherwise for
    /// their kind. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// How failed jobs of type `J` are retried, in place of [`retry`](Self::retry)'s policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Consumer, Jitter, Producer, Queue, Registry, RemoteContext, RemoteJob};
    /// use pool_redis::{RemoteOutcome, RetryPolicy};
    /// use pool_tokio::TokioExecutor;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct ChargeCard;
    ///
    /// impl RemoteJob for ChargeCard {
    ///     const KIND: &'static str = "charge-card";
    ///     type Output = ();
    ///
    ///     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
    ///         Err("the card was declined".into())
    ///     }
    /// }
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
    /// # let url = server.url();
    /// let queue = Queue::new("billing");
    /// let key = Producer::connect(&url, queue.clone()).await?.enqueue(&ChargeCard).await?;
    /// let registry = Registry::new().register::<ChargeCard>();
    /// let consumer = Consumer::builder(&url, queue.clone(), registry, TokioExecutor::default())
    ///     // A card charge is tried twice at most, whatever the queue's policy.
    ///     .retry_for::<ChargeCard>(
    ///         RetryPolicy::new(2)
    ///             .with_first_backoff(Duration::from_millis(50))
    ///             .with_jitter(Jitter::None),
    ///     )
    ///     .keep_outcomes(Duration::from_secs(60))
    ///     .connect()
    ///     .await?;
    /// let running = tokio::spawn({
    ///     let consumer = consumer.clone();
    ///     async move { consumer.run().await }
    /// });
    /// let producer = Producer::connect(&url, queue).await?;
    /// let outcome = producer.wait_outcome(key, Duration::from_secs(10)).await?;
    /// assert!(matches!(outcome, Some(RemoteOutcome::DeadLettered { .. })));
    /// let stats = consumer.shutdown().await;
    /// assert_eq!((stats.retried, stats.dead_lettered), (1, 1));
    /// running.await??;
    /// # Ok(())
    /// # }
    /// ```
    pub fn retry_for<J: crate::RemoteJob>(mut self, policy: RetryPolicy) -> Self {
        self.config.retry_by_kind.insert(J::KIND, policy);
        self
    }

    /// Registers a periodic job: `job` is enqueued at each tick of `schedule`, under `name`.
    /// Every consumer that registers the same name and schedule shares it: each tick is
    /// enqueued exactly once among them (the last tick enqueued is kept in Redis per name,
    /// and the tick's job key is the same for all: [`Queue::periodic_job_key`](crate::Queue::periodic_job_key)), whichever
    /// of them are running, so restarting any or all of them neither repeats nor skips a
    /// tick while one runs.
    ///
    /// Each tick is enqueued as a delayed job when the one before it falls due, so it waits
    /// in the delayed set for its time. Ticks missed while no consumer ran: the one
    /// enqueued before they all stopped runs once, late, when a consumer is back; the rest
    /// are skipped. The job must be registered in some consumer's registry to run.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Consumer, Queue, Registry, RemoteContext, RemoteJob, Schedule};
    /// use pool_tokio::TokioExecutor;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct NightlyReport;
    ///
    /// impl RemoteJob for NightlyReport {
    ///     const KIND: &'static str = "nightly-report";
    ///     type Output = ();
    ///
    ///     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
    /// # let url = server.url();
    /// let queue = Queue::new("reports");
    /// let consumer = Consumer::builder(&url, queue.clone(), Registry::new().register::<NightlyReport>(), TokioExecutor::default())
    ///     .periodic("nightly-report", Schedule::cron("0 3 * * *")?, &NightlyReport)
    ///     .connect()
    ///     .await?;
    /// let running = tokio::spawn({
    ///     let consumer = consumer.clone();
    ///     async move { consumer.run().await }
    /// });
    /// // The next 03:00 UTC's job waits in the delayed set.
    /// let waiting = async {
    ///     while pool_redis::queue_stats(&url, &queue).await?.delayed == 0 {
    ///         tokio::time::sleep(Duration::from_millis(10)).await;
    ///     }
    ///     Ok::<_, pool_redis::QueueError>(())
    /// };
    /// tokio::time::timeout(Duration::from_secs(10), waiting).await??;
    /// consumer.shutdown().await;
    /// running.await??;
    /// # Ok(())
    /// # }
    /// ```
    pub fn periodic<J: crate::RemoteJob>(
        mut self,
        name: impl Into<String>,
        schedule: Schedule,
        job: &J,
    ) -> Self {
        let name = name.into();
        self.config
            .periodic
            .retain(|periodic| periodic.name != name);
        self.config.periodic.push(Periodic {
            name,
            schedule,
            kind: J::KIND,
            payload: serde_json::to_string(job).map_err(|error| error.to_string()),
        });
        self
    }

    /// Limits jobs of type `J` to `limit` starts, across every consumer of the queue (give
    /// every consumer the same limit: each start is checked against the one it was given).
    /// A job over the limit does not start and uses no attempt: it waits in the delayed set
    /// for its turn. See [`RateLimit`](crate::RateLimit) for the guarantee, and
    /// [`concurrency_limit`](Self::concurrency_limit) for an example.
    pub fn rate_limit<J: crate::RemoteJob>(mut self, limit: crate::RateLimit) -> Self {
        self.config.limits.entry(J::KIND).or_default().rate = Some(limit);
        self
    }

    /// Limits jobs of type `J` to `most` running at once, across every consumer of the
    /// queue (give every consumer the same limit). Each running job holds a slot in Redis
    /// under lease, renewed with its entry's: the slot of a consumer that died comes back
    /// within one visibility timeout. A job over the limit does not start and uses no
    /// attempt: it waits in the delayed set until a slot is given back (or one visibility
    /// timeout at most), then tries again.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use pool_redis::{Consumer, Producer, Queue, RateLimit, Registry, RemoteContext, RemoteJob};
    /// use pool_tokio::TokioExecutor;
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct ChargeCard;
    ///
    /// impl RemoteJob for ChargeCard {
    ///     const KIND: &'static str = "charge-card";
    ///     type Output = ();
    ///
    ///     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let Some(server) = pool_redis::doc_support::DocServer::start() else { return Ok(()) };
    /// # let url = server.url();
    /// let queue = Queue::new("payments");
    /// let producer = Producer::connect(&url, queue.clone()).await?;
    /// producer.enqueue_many(&[ChargeCard, ChargeCard, ChargeCard]).await?;
    /// let consumer = Consumer::builder(&url, queue.clone(), Registry::new().register::<ChargeCard>(), TokioExecutor::default())
    ///     // The card processor takes 100 charges a second and 5 at once, from all of us.
    ///     .rate_limit::<ChargeCard>(RateLimit::per_second(100))
    ///     .concurrency_limit::<ChargeCard>(5)
    ///     .connect()
    ///     .await?;
    /// let running = tokio::spawn({
    ///     let consumer = consumer.clone();
    ///     async move { consumer.run().await }
    /// });
    /// while consumer.stats().acknowledged < 3 {
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// consumer.shutdown().await;
    /// running.await??;
    /// # Ok(())
    /// # }
    /// ```
    pub fn concurrency_limit<J: crate::RemoteJob>(mut self, most: u32) -> Self {
        self.config.limits.entry(J::KIND).or_default().concurrency = Some(most);
        self
    }

    /// Limits jobs of type `J` to `most` running at once in this consumer (whatever other
    /// consumers run): for work that would overload this machine (a CPU-bound transcode,
    /// a local resource). A job over the limit waits for its turn on the worker it was
    /// given, so other kinds run on the remaining workers; give the kind more workers than
    /// its limit, or a queue of its own, if its backlog may fill them. For a limit across
    /// every consumer, see [`concurrency_limit`](Self::concurrency_limit).
    pub fn local_concurrency_limit<J: crate::RemoteJob>(mut self, most: u32) -> Self {
        self.config.local_limits.insert(J::KIND, most);
        self
    }

    /// How often, at most, the consumer looks for delayed jobs (and retries) that are due and
    /// moves them into the stream. Default 500 ms. Every consumer looks, at a random phase, so
    /// with `n` consumers a due job waits about this period divided by `n + 1` on average,
    /// and at most about this period (plus a read's round trip).
    pub fn promote_every(mut self, period: Duration) -> Self {
        self.config.promote_every = period;
        self
    }

    /// Keeps each job's outcome for `ttl` (not zero), for
    /// [`Producer::wait_outcome`](crate::Producer::wait_outcome).
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

    /// Stops a job that runs longer than `limit` (a failed run, retried); not zero.
    pub fn job_timeout(mut self, limit: Duration) -> Self {
        self.config.job_timeout = Some(limit);
        self
    }

    /// How long a job cancelled by a shutdown may take to stop before it is aborted (the
    /// local pool's shutdown grace). Default 1 s.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// Gives the consumer's jobs `value` to share (one per type; a later value of the same
    /// type replaces it): each job reaches it with
    /// [`RemoteContext::data::<T>()`](crate::RemoteContext::data), which shows an example.
    /// For state the application also keeps, give an `Arc<T>` or a handle that clones
    /// cheaply (most pools and clients are one).
    pub fn data<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.data.insert(value);
        self
    }

    /// Runs `middleware` around every job of the consumer (see [`Middleware`], which shows
    /// an example); each call adds one, inside those given before.
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// The consumer's name in the group. Default: host, process id and a random suffix, new
    /// on every start. A name is never reused: a process that restarts must not take over
    /// the entries its previous life held (the living reclaim them).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Checks the settings, connects, creates the queue's group if needed, checks that the
    /// Redis user may run every command the consumer will send, registers the name, and
    /// starts the local pool. Then call [`Consumer::run`].
    ///
    /// # Errors
    ///
    /// [`QueueError::Config`] for a setting that cannot work (nothing is sent then),
    /// [`QueueError::BadQueueName`], [`QueueError::BadUrl`], [`QueueError::Unreachable`] if
    /// Redis does not answer, [`QueueError::NoPermission`] listing every command and key the
    /// user may not use, [`QueueError::NameInUse`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave the name registered in the group, holding nothing:
    /// the living consumers remove it once it has been idle for
    /// [`forget_consumers_after`](Self::forget_consumers_after) (and the name is refused
    /// until then). Nothing is read before `connect`
    /// returns, so no entry is ever held by a consumer that was never made.
    pub async fn connect(self) -> Result<Consumer<E>, QueueError> {
        let config = self.config;
        config.check()?;
        self.queues.check()?;
        let server = Server::open(&self.url)?;
        let commands = server.commands().map_err(unreachable(&self.url))?;
        for (queue, _) in &self.queues.queues {
            ensure_group(&mut commands.clone(), queue)
                .await
                .map_err(unreachable(&self.url))?;
        }
        let name = self.name.unwrap_or_else(default_name);
        let held_at_most = config.held_at_most();
        let names: Vec<&str> = self.queues.names().collect();
        let pool = WorkerPool::<E, Completed>::with_executor(self.executor.clone())
            .name(format!("{}/{name}", names.join("+")))
            .workers(config.workers)
            .queue_capacity(held_at_most.max(1))
            .shutdown_grace(config.shutdown_grace);
        let pool = match config.job_timeout {
            Some(limit) => pool.job_timeout(limit),
            None => pool,
        };
        let (pool, results) = pool
            .build_with_results(held_at_most.max(1))
            .map_err(ConfigError::Pool)?;
        let limited_kinds: Vec<&str> = config.limits.keys().copied().collect();
        register_everywhere(&commands, &self.queues, &name, &limited_kinds).await?;
        pool.start()?;
        tracing::info!(queues = ?names, consumer = %name, workers = config.workers, "consumer connected");
        let weights: Vec<u32> = self
            .queues
            .queues
            .iter()
            .map(|(_, weight)| *weight)
            .collect();
        let slots = Arc::new(Slots::new(held_at_most.max(1), &weights, self.queues.order));
        let registry = Arc::new(self.registry);
        let data = Arc::new(self.data);
        let middleware: Arc<[Arc<dyn Middleware>]> = self.middleware.into();
        let local_limits: Arc<HashMap<_, _>> = Arc::new(
            config
                .local_limits
                .iter()
                .map(|(&kind, &most)| {
                    let places = usize::try_from(most).unwrap_or(usize::MAX);
                    (kind, Arc::new(async_lock::Semaphore::new(places)))
                })
                .collect(),
        );
        let description =
            crate::consume::presence::Description::of::<E>(config.workers, config.visibility / 3);
        let description: Arc<str> = serde_json::to_string(&description)
            .unwrap_or_else(|_| "{}".to_owned())
            .into();
        let suspects_run_alone = Arc::default();
        let (stopping, settled, abandoned, failed) = Default::default();
        let fatal = Arc::default();
        let queues = self
            .queues
            .queues
            .into_iter()
            .enumerate()
            .map(|(index, (queue, _))| {
                let mut config = config.clone();
                // Periodic jobs are enqueued in the first queue.
                if index > 0 {
                    config.periodic.clear();
                }
                let admissions = config
                    .limits
                    .iter()
                    .map(|(&kind, &limit)| {
                        let admission = Admission::new(
                            &queue,
                            kind,
                            limit,
                            commands.clone(),
                            &name,
                            config.visibility,
                        );
                        (kind, Arc::new(admission))
                    })
                    .collect();
                let isolation =
                    CrashIsolation::new(commands.clone(), &queue, Arc::clone(&suspects_run_alone));
                let queue_name = queue.name().into();
                let kept = config.outcomes_ttl.unwrap_or(PROGRESS_KEPT);
                let progress = Arc::new(ProgressSink {
                    connection: commands.clone(),
                    prefix: queue.progress_prefix(),
                    kept_ms: u64::try_from(kept.as_millis()).unwrap_or(u64::MAX),
                });
                QueueState {
                    memo_key: queue.memo_key(&name),
                    queue,
                    index,
                    name: name.clone(),
                    description: Arc::clone(&description),
                    server: server.clone(),
                    commands: commands.clone(),
                    registry: Arc::clone(&registry),
                    data: Arc::clone(&data),
                    middleware: Arc::clone(&middleware),
                    queue_name,
                    progress,
                    executor: self.executor.clone(),
                    config,
                    pool: pool.clone(),
                    holdings: Arc::default(),
                    admissions,
                    local_limits: Arc::clone(&local_limits),
                    given_up: Mutex::new(HashMap::new()),
                    slots: Arc::clone(&slots),
                    counters: Counters::default(),
                    starts: Starts::new(),
                    isolation: Arc::new(isolation),
                    stopping: CancellationToken::clone(&stopping),
                    settled: CancellationToken::clone(&settled),
                    abandoned: CancellationToken::clone(&abandoned),
                    fatal: Arc::clone(&fatal),
                    failed: CancellationToken::clone(&failed),
                    redis_lost: AtomicBool::new(false),
                    // Random: a process that reuses a name never meets its predecessor's memo.
                    calls: AtomicU64::new(uuid::Uuid::new_v4().as_u64_pair().0 >> 1),
                    settling: async_lock::RwLock::new(()),
                }
            })
            .collect();
        Ok(Consumer::new(Arc::new(ConsumerCore {
            name,
            queues,
            executor: self.executor,
            pool,
            results,
            slots,
            past_deadline: config.past_deadline(),
            stopping,
            settled,
            finished: CancellationToken::new(),
            abandoned,
            failed,
            fatal,
            run_started: AtomicBool::new(false),
        })))
    }
}

/// Registers `name` in every queue's group, once the settings are known good (so `status`
/// lists the consumer before it reads), and checks that the Redis user may run every command
/// the consumer will send there. Registering is a check and a claim in one step, so two
/// processes started with one name cannot both pass. On a refusal, the name leaves every
/// group it joined: it holds nothing, so it is gone at once rather than left for the others
/// to forget.
async fn register_everywhere(
    commands: &Connection,
    queues: &Queues,
    name: &str,
    limited_kinds: &[&str],
) -> Result<(), QueueError> {
    let mut joined = Vec::new();
    for (queue, _) in &queues.queues {
        let registered = match register(&mut commands.clone(), queue, name).await {
            Ok(true) => probe::permissions(&mut commands.clone(), queue, name, limited_kinds).await,
            Ok(false) => Err(QueueError::NameInUse(name.to_owned())),
            Err(error) => Err(error.into()),
        };
        if registered.is_err() {
            // Joined, unless the name was in use or could not be registered.
            if !matches!(registered, Err(QueueError::NameInUse(_))) {
                joined.push(queue);
            }
            for queue in joined {
                let _: redis::RedisResult<u64> = redis::cmd("XGROUP")
                    .arg("DELCONSUMER")
                    .arg(queue.jobs_key())
                    .arg(GROUP)
                    .arg(name)
                    .query_async(&mut commands.clone())
                    .await;
            }
            return registered;
        }
        joined.push(queue);
    }
    Ok(())
}

/// A name no other process has used: host, process id, and a random suffix.
fn default_name() -> String {
    let host = crate::consume::presence::host_name();
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
