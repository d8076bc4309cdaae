//! A consumer: one per process, reading a queue through the group into a local pool.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_lite::future;
use pool_core::Executor;

use crate::consume::state::ConsumerState;
use crate::{ConsumerStats, QueueError};

/// A consumer of a queue: reads entries through the queue's group (as one named consumer)
/// into a local [`WorkerPool`](pool_core::WorkerPool), acknowledges each job once it ran to
/// success, retries failed ones, dead-letters those out of attempts, renews the lease of
/// every entry it holds, and reclaims entries whose holder's lease lapsed. Clones share it.
///
/// Drive it with [`run`](Self::run); stop it from another task with a shutdown, which
/// returns once `run` has settled every entry it held.
pub struct Consumer<E: Executor> {
    state: Arc<ConsumerState<E>>,
}

impl<E: Executor> Consumer<E> {
    pub(crate) fn new(state: Arc<ConsumerState<E>>) -> Self {
        Self { state }
    }

    /// The consumer's name in the group.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// Its counts so far.
    pub fn stats(&self) -> ConsumerStats {
        self.state.counters.snapshot(self.state.holdings.len())
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
        if self.state.run_started.swap(true, Ordering::AcqRel) {
            // Running already (a second call), or driven by a shutdown: wait for it.
            self.state.finished.cancelled().await;
        } else {
            self.drive().await;
        }
        match self.state.take_fatal() {
            Some(error) => Err(error),
            None => Ok(self.stats()),
        }
    }

    /// The consumer's loops, to their end. Whatever way it ends (returned, or dropped by its
    /// caller), a waiting shutdown hears of it.
    async fn drive(&self) {
        let state = &*self.state;
        let _finished = state.finished.clone().drop_guard();
        let reading = async {
            state.read_until_stopped().await;
            state.reading_done.cancel();
        };
        let settling = async {
            state.settle_until_drained().await;
            state.settled.cancel();
        };
        // Every job's start is counted before it runs, until every outcome is settled.
        let counting = state
            .starts
            .count_until(|starts| state.count_starts(starts), &state.settled);
        // A permission refused: nothing will work, so the consumer stops by itself.
        let failing = async {
            future::or(state.failed.cancelled(), state.settled.cancelled()).await;
            if state.failed.is_cancelled() {
                state.stopping.cancel();
                self.stop_pool(Stop::Now).await;
            }
        };
        // Boxed: together the loops are a large future, too large for the stack of a
        // thread that runs it in place (`block_on`) in a debug build.
        let loops = future::zip(
            future::zip(Box::pin(reading), Box::pin(settling)),
            future::zip(
                future::zip(
                    Box::pin(state.renew_until_settled()),
                    future::zip(
                        Box::pin(state.promote_until_stopped()),
                        Box::pin(state.tick_until_stopped()),
                    ),
                ),
                future::zip(Box::pin(counting), Box::pin(failing)),
            ),
        );
        let abandoned = async {
            state.abandoned.cancelled().await;
            tracing::warn!(queue = %state.queue.name(), consumer = %state.name, held = state.holdings.len(), "the shutdown's deadline passed: what is held stays pending, for a reclaim");
        };
        future::or(
            async {
                loops.await;
            },
            abandoned,
        )
        .await;
        future::or(state.leave_group_if_idle(), state.abandoned.cancelled()).await;
        let stats = self.stats();
        tracing::info!(
            queue = %state.queue.name(),
            consumer = %state.name,
            read = stats.read,
            acknowledged = stats.acknowledged,
            retried = stats.retried,
            dead_lettered = stats.dead_lettered,
            released = stats.released,
            leases_lost = stats.leases_lost,
            "consumer stopped"
        );
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
        let state = &*self.state;
        state.stopping.cancel();
        // Nobody ran the consumer: the shutdown drives it, to settle what the pool holds.
        let drive_here = !state.run_started.swap(true, Ordering::AcqRel);
        let driving = async {
            if drive_here {
                self.drive().await;
            }
        };
        let stopping = async {
            future::zip(self.stop_pool(how), driving).await;
            state.finished.cancelled().await;
        };
        let deadline = async {
            match how {
                Stop::Deadline(timeout) => {
                    let deadline = timeout.saturating_add(state.config.past_deadline());
                    state.executor.sleep(deadline).await;
                }
                Stop::Graceful | Stop::Now => future::pending().await,
            }
            // The loops see it and return at once.
            state.abandoned.cancel();
            state.finished.cancelled().await;
        };
        future::or(stopping, deadline).await;
        self.stats()
    }

    /// Stops the local pool as `how` says. A later, harsher call escalates one under way
    /// (the pool refuses a second shutdown, so its token is cancelled instead, as the pool
    /// documents): a second Ctrl-C stops now.
    async fn stop_pool(&self, how: Stop) {
        let state = &*self.state;
        let pool = &state.pool;
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
                        state.executor.sleep(timeout).await;
                        true
                    };
                    let finished = async {
                        state.finished.cancelled().await;
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
            state: Arc::clone(&self.state),
        }
    }
}

impl<E: Executor> std::fmt::Debug for Consumer<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", &self.state.queue.name())
            .field("name", &self.state.name)
            .finish_non_exhaustive()
    }
}
