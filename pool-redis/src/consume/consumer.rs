//! A consumer: one per process, reading a queue through the group into a local pool.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_lite::future;
use pool_core::Executor;

use crate::consume::core::ConsumerCore;
use crate::consume::join_all::join_all;
use crate::{ConsumerStats, QueueError};

/// A consumer of a queue (or of several, by weight or priority: [`Queues`](crate::Queues)):
/// reads entries through each queue's group (as one named consumer) into a local
/// [`WorkerPool`](pool_core::WorkerPool), acknowledges each job once it ran to success,
/// retries failed ones, dead-letters those out of attempts, renews the lease of every entry
/// it holds, and reclaims entries whose holder's lease lapsed. Clones share it.
///
/// Drive it with [`run`](Self::run); stop it from another task with a shutdown, which
/// returns once `run` has settled every entry it held.
pub struct Consumer<E: Executor> {
    core: Arc<ConsumerCore<E>>,
}

impl<E: Executor> Consumer<E> {
    pub(crate) fn new(core: Arc<ConsumerCore<E>>) -> Self {
        Self { core }
    }

    /// The consumer's name in the group (in each queue's group).
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// The local pool its jobs run on.
    #[cfg(feature = "metrics")]
    pub(crate) fn local_pool(&self) -> &pool_core::WorkerPool<E, crate::job::registry::Completed> {
        &self.core.pool
    }

    /// Its counts so far, over every queue it serves.
    pub fn stats(&self) -> ConsumerStats {
        self.core.stats()
    }

    /// Its counts so far in each queue it serves, by name, in the order of its
    /// [`Queues`](crate::Queues).
    pub fn stats_by_queue(&self) -> Vec<(String, ConsumerStats)> {
        self.core.stats_by_queue()
    }

    /// Reads, runs and settles jobs until a shutdown has settled everything it held; returns
    /// the final counts. Call it from a task of its own; a second call waits for the first.
    /// A shutdown of a consumer that was never run settles what it holds itself.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops the consumer's loops where they are: what it held stays
    /// pending in Redis and is reclaimed by other consumers after the visibility timeout. A
    /// shutdown waiting for it then returns.
    ///
    /// # Errors
    ///
    /// [`QueueError::NoPermission`] if Redis refused a command for want of a permission (an
    /// ACL changed under a running consumer): retrying cannot help, so the consumer stops as
    /// [`shutdown_now`](Self::shutdown_now) does.
    pub async fn run(&self) -> Result<ConsumerStats, QueueError> {
        if self.core.run_started.swap(true, Ordering::AcqRel) {
            // Running already (a second call), or driven by a shutdown: wait for it.
            self.core.finished.cancelled().await;
        } else {
            self.drive().await;
        }
        match self.core.take_fatal() {
            Some(error) => Err(error),
            None => Ok(self.stats()),
        }
    }

    /// The consumer's loops, to their end. Whatever way it ends (returned, or dropped by its
    /// caller), a waiting shutdown hears of it.
    async fn drive(&self) {
        let core = &*self.core;
        let _finished = core.finished.clone().drop_guard();
        let settling = async {
            core.settle_until_drained().await;
            core.settled.cancel();
        };
        // A permission refused: nothing will work, so the consumer stops by itself.
        let failing = async {
            future::or(core.failed.cancelled(), core.settled.cancelled()).await;
            if core.failed.is_cancelled() {
                core.stopping.cancel();
                self.stop_pool(Stop::Now).await;
            }
        };
        // Each queue's loops. Every job's start is counted before it runs, until every
        // outcome is settled.
        let queue_loops = core.queues.iter().map(|queue| async move {
            let counting = queue
                .starts
                .count_until(|starts| queue.count_starts(starts), &queue.settled);
            // The limited kinds' starts are admitted in batches too, until every outcome is
            // settled.
            let admitting = join_all(
                queue
                    .admissions
                    .values()
                    .map(|admission| admission.admit_until(&queue.settled)),
            );
            // Boxed: together the loops are a large future, too large for the stack of a
            // thread that runs it in place (`block_on`) in a debug build.
            future::zip(
                future::zip(
                    Box::pin(queue.read_until_stopped()),
                    Box::pin(queue.renew_until_settled()),
                ),
                future::zip(
                    future::zip(
                        Box::pin(queue.promote_until_stopped()),
                        Box::pin(queue.tick_until_stopped()),
                    ),
                    future::zip(Box::pin(counting), Box::pin(admitting)),
                ),
            )
            .await;
        });
        let loops = future::zip(
            join_all(queue_loops),
            future::zip(Box::pin(settling), Box::pin(failing)),
        );
        let abandoned = async {
            core.abandoned.cancelled().await;
            tracing::warn!(queues = ?self.queue_names(), consumer = %core.name, held = core.held(), "the shutdown's deadline passed: what is held stays pending, for a reclaim");
        };
        future::or(
            async {
                loops.await;
            },
            abandoned,
        )
        .await;
        let leaving = join_all(core.queues.iter().map(|queue| queue.leave_group_if_idle()));
        future::or(leaving, core.abandoned.cancelled()).await;
        let stats = self.stats();
        tracing::info!(
            queues = ?self.queue_names(),
            consumer = %core.name,
            read = stats.read,
            acknowledged = stats.acknowledged,
            retried = stats.retried,
            dead_lettered = stats.dead_lettered,
            released = stats.released,
            leases_lost = stats.leases_lost,
            "consumer stopped"
        );
    }

    /// The names of the queues it serves.
    fn queue_names(&self) -> Vec<&str> {
        self.core
            .queues
            .iter()
            .map(|queue| queue.queue.name())
            .collect()
    }

    /// Stops reading, lets the local pool finish every job it holds, settles them, and
    /// returns once [`run`](Self::run) has.
    ///
    /// With Redis unreachable it still returns once the jobs have ended: a command that
    /// fails while stopping is tried twice (each try bounded by a 10 s response timeout, or
    /// refused at once), then it and every later one are given up on; an in-flight read is
    /// waited for no longer than its block time plus that timeout. What could not be settled
    /// stays pending in Redis, and another consumer reclaims it after the visibility timeout.
    /// Use [`shutdown_timeout`](Self::shutdown_timeout) for a hard bound.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future once polled leaves the consumer stopping: it reads no more, its
    /// pool finishes what it holds, and a [`run`](Self::run) under way settles it and
    /// returns. If nothing runs the consumer, this future was driving it: dropped, its loops
    /// stop where they are and what it held stays pending, for a reclaim. The same holds for
    /// the other two shutdowns.
    pub async fn shutdown(&self) -> ConsumerStats {
        self.stop(Stop::Graceful).await
    }

    /// Stops reading and gives the entries read but not started back to the group at once,
    /// without charging an attempt, so that another consumer takes them within about its
    /// reclaim period; running jobs see cancellation and are settled as they end. Bounded
    /// as [`shutdown`](Self::shutdown) is when Redis is unreachable.
    pub async fn shutdown_now(&self) -> ConsumerStats {
        self.stop(Stop::Now).await
    }

    /// As [`shutdown`](Self::shutdown) for up to `timeout`, then as
    /// [`shutdown_now`](Self::shutdown_now); jobs still running past the
    /// [shutdown grace](crate::ConsumerBuilder::shutdown_grace) are aborted, and retried
    /// (their attempt counts).
    ///
    /// Returns within `timeout` plus the grace plus 1 s to settle, whatever Redis does
    /// (frozen, partitioned, gone): there the consumer stops trying, and every entry it still
    /// holds stays pending in Redis, reclaimed by another consumer after the visibility
    /// timeout.
    pub async fn shutdown_timeout(&self, timeout: Duration) -> ConsumerStats {
        self.stop(Stop::Deadline(timeout)).await
    }

    async fn stop(&self, how: Stop) -> ConsumerStats {
        let core = &*self.core;
        core.stopping.cancel();
        // Nobody ran the consumer: the shutdown drives it, to settle what the pool holds.
        let drive_here = !core.run_started.swap(true, Ordering::AcqRel);
        let driving = async {
            if drive_here {
                self.drive().await;
            }
        };
        let stopping = async {
            future::zip(self.stop_pool(how), driving).await;
            core.finished.cancelled().await;
        };
        let deadline = async {
            match how {
                Stop::Deadline(timeout) => {
                    let deadline = timeout.saturating_add(core.past_deadline);
                    core.executor.sleep(deadline).await;
                }
                Stop::Graceful | Stop::Now => future::pending().await,
            }
            // The loops see it and return at once.
            core.abandoned.cancel();
            core.finished.cancelled().await;
        };
        future::or(stopping, deadline).await;
        self.stats()
    }

    /// Stops the local pool as `how` says. A later, harsher call escalates one under way
    /// (the pool refuses a second shutdown, so its token is cancelled instead, as the pool
    /// documents): a second Ctrl-C stops now.
    async fn stop_pool(&self, how: Stop) {
        let core = &*self.core;
        let pool = &core.pool;
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
                        core.executor.sleep(timeout).await;
                        true
                    };
                    let finished = async {
                        core.finished.cancelled().await;
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
            core: Arc::clone(&self.core),
        }
    }
}

impl<E: Executor> std::fmt::Debug for Consumer<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("queues", &self.queue_names())
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
