//! A running consumer's state for one of the queues it serves: its reader, lease renewer,
//! promoter and start counter for that queue are loops over one `QueueState`, and the
//! consumer's settler hands it the outcomes of the jobs it read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::store::connection::Connection;
use crate::store::server::Server;
use futures_lite::future;
use pool_core::{CancellationToken, Executor, WorkerPool};

use crate::consume::config::Config;
use crate::consume::hold::holdings::Holdings;
use crate::consume::hold::slots::Slots;
use crate::consume::limit::admission::Admission;
use crate::consume::run::crash_isolation::CrashIsolation;
use crate::consume::run::starts::Starts;
use crate::consume::stats::Counters;
use crate::job::middleware::Middleware;
use crate::job::progress::ProgressSink;
use crate::job::registry::Completed;
use crate::job::shared_data::SharedData;
use crate::store::queue::GROUP;
use crate::{Queue, QueueError, Registry};

/// A running consumer's state for one of its queues.
pub(crate) struct QueueState<E: Executor> {
    pub(crate) queue: Queue,
    /// Its place among the consumer's queues (in the slots' order).
    pub(crate) index: usize,
    pub(crate) name: String,
    /// What it says about itself in its heartbeat (JSON: see `presence`).
    pub(crate) description: Arc<str>,
    pub(crate) server: Server,
    /// The connection for every command that answers at once (reads have their own).
    pub(crate) commands: Connection,
    /// Where the settling scripts remember their replies (see `scripts`).
    pub(crate) memo_key: String,
    pub(crate) registry: Arc<Registry>,
    /// The consumer's middleware, outermost first.
    pub(crate) middleware: Arc<[Arc<dyn Middleware>]>,
    /// The queue's name, for each job's context.
    pub(crate) queue_name: Arc<str>,
    /// Where its jobs' progress reports go.
    pub(crate) progress: Arc<ProgressSink>,
    /// What the jobs share (`ConsumerBuilder::data`).
    pub(crate) data: Arc<SharedData>,
    pub(crate) executor: E,
    pub(crate) config: Config,
    /// The consumer's local pool, shared by its queues.
    pub(crate) pool: WorkerPool<E, Completed>,
    /// The entries held, each with what is known of it here. Once an entry is taken in, it
    /// leaves only under the write side of `settling`. Shared with the local jobs, which
    /// note what counting their start found.
    pub(crate) holdings: Arc<Holdings>,
    /// The places of each kind with a local concurrency limit: the consumer's, shared by
    /// its queues.
    pub(crate) local_limits: Arc<HashMap<&'static str, Arc<async_lock::Semaphore>>>,
    /// The admission of each kind with a limit.
    pub(crate) admissions: HashMap<&'static str, Arc<Admission>>,
    /// Entries pending under this consumer whose settlement it gave up on (Redis out of
    /// reach), with when: left for a reclaim, not taken for stranded ones. Forgotten after
    /// two visibility timeouts, by when anyone (this consumer too) may have reclaimed them.
    pub(crate) given_up: Mutex<HashMap<String, std::time::Instant>>,
    /// The consumer's room, shared by its queues (this one takes as `index`).
    pub(crate) slots: Arc<Slots>,
    pub(crate) counters: Counters,
    /// The starts waiting to be counted.
    pub(crate) starts: Starts,
    /// Where each run waits for its permit: alone for a job suspected of crashing its
    /// process.
    pub(crate) isolation: Arc<CrashIsolation>,
    /// Set by a shutdown: stop reading and reclaiming. (This and the tokens below are the
    /// consumer's, shared by its queues.)
    pub(crate) stopping: CancellationToken,
    /// Every local job's outcome has been acted on.
    pub(crate) settled: CancellationToken,
    /// A shutdown's deadline passed: every loop gives up at once, and what is still held
    /// stays pending in Redis, for a reclaim after the visibility timeout.
    pub(crate) abandoned: CancellationToken,
    /// Why the consumer stopped by itself (a permission Redis refused), for `run`.
    pub(crate) fatal: Arc<Mutex<Option<QueueError>>>,
    /// Set with `fatal`.
    pub(crate) failed: CancellationToken,
    /// A command failed for want of Redis while stopping: later ones are not tried.
    pub(crate) redis_lost: AtomicBool,
    /// Ids for the settling calls, so that a call sent again is known as the same call.
    pub(crate) calls: AtomicU64,
    /// Read side: a lease renewal round (from its copy of the held ids to its reply), or a
    /// look at what this consumer holds in Redis against what it holds here. Write side: a
    /// settlement, from taking its entries out of `held` to their settlement in Redis. So a
    /// renewal sent before cannot reset the idle time a retry or release set, and no reader
    /// sees an entry that is neither held here nor settled in Redis.
    pub(crate) settling: async_lock::RwLock<()>,
}

impl<E: Executor> QueueState<E> {
    pub(crate) fn given_up(&self) -> MutexGuard<'_, HashMap<String, std::time::Instant>> {
        self.given_up.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Its counts so far.
    pub(crate) fn stats(&self) -> crate::ConsumerStats {
        self.counters.snapshot(self.holdings.len())
    }

    /// Waits `period`, or less if the consumer is stopping.
    pub(crate) async fn pause(&self, period: Duration) {
        future::or(self.executor.sleep(period), self.stopping.cancelled()).await;
    }

    /// Stops the consumer for `error`, which retrying cannot mend (the first one is kept).
    pub(crate) fn fail(&self, error: QueueError) {
        tracing::error!(queue = %self.queue.name(), consumer = %self.name, error = %crate::report::Chain(&error), "the consumer stops");
        let mut fatal = self.fatal.lock().unwrap_or_else(PoisonError::into_inner);
        fatal.get_or_insert(error);
        self.failed.cancel();
    }

    /// An id for a settling call, new each call (not each try). Started from a random
    /// number, so that a process that reuses a name never meets its predecessor's memo.
    pub(crate) fn next_call(&self) -> u64 {
        self.calls.fetch_add(1, Ordering::Relaxed)
    }

    /// Removes this consumer from the group once it holds nothing: consumer names are never
    /// reused, so a gone one would only clutter `XINFO`.
    pub(crate) async fn leave_group_if_idle(&self) {
        if self.redis_lost.load(Ordering::Relaxed) {
            return;
        }
        // DELCONSUMER drops a consumer's pending entries from the group, where nobody would
        // ever reclaim them: only a consumer that holds none leaves, checked and removed in
        // one script (a claim sent earlier cannot land in between). One that could not
        // settle, Redis being down, stays listed until its entries are reclaimed.
        let mut invocation = crate::store::scripts::FORGET.prepare_invoke();
        invocation
            .key(self.queue.jobs_key())
            .key(&self.memo_key)
            .key(self.queue.presence_key())
            .arg(GROUP)
            .arg(&self.name)
            .arg(0);
        match invocation
            .invoke_async::<u64>(&mut self.commands.clone())
            .await
        {
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
