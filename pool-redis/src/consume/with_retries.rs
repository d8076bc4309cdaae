//! Sending a queue command until it succeeds, within what the consumer's state allows.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::store::connection::Connection;
use futures_lite::future;
use pool_core::Executor;
use redis::RedisResult;

use crate::consume::queue_state::QueueState;
use crate::error::{is_no_permission, is_out_of_memory};
use crate::store::connection::is_connection_error;
use crate::store::group::{ensure_group, is_no_group};

/// Tries of a command that Redis refuses for a reason other than the connection.
const COMMAND_ERROR_TRIES: u32 = 3;

/// Tries of a command while the consumer is stopping: past them Redis counts as lost.
const TRIES_WHILE_STOPPING: u32 = 2;

/// The longest wait between attempts to reach Redis again.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl<E: Executor> QueueState<E> {
    /// Runs a command until it succeeds, on the command connection (opened again between
    /// tries when it broke). Gives up (`None`), leaving the entry pending for a reclaim after
    /// the visibility timeout, when:
    /// - Redis refuses it for another reason than the connection, three times;
    /// - Redis refuses a permission: the consumer then stops (see [`QueueState::fail`]);
    /// - the consumer is stopping and two tries failed, or an earlier command gave up so;
    /// - a shutdown's deadline passed.
    pub(crate) async fn with_retries<T, F, Fut>(&self, mut command: F) -> Option<T>
    where
        F: FnMut(Connection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let mut backoff = Backoff::default();
        for attempt in 1.. {
            if self.abandoned.is_cancelled() || self.redis_lost.load(Ordering::Relaxed) {
                return None;
            }
            let sent = future::or(
                async { Some(command(self.commands.clone()).await) },
                async {
                    self.abandoned.cancelled().await;
                    None
                },
            );
            let error = match sent.await? {
                Ok(value) => return Some(value),
                Err(error) => error,
            };
            if is_no_permission(&error) {
                self.fail(error.into());
                return None;
            }
            if is_out_of_memory(&error) {
                tracing::error!(queue = %self.queue.name(), %error, attempt, "Redis is out of memory: a queue command was refused, trying again");
            } else {
                tracing::warn!(queue = %self.queue.name(), %error, attempt, "a queue command failed: trying again");
            }
            if is_no_group(&error) {
                // Redis lost the group (restarted without its data): the entries it knew
                // are gone with it; new ones need the group back.
                let _ = ensure_group(&mut self.commands.clone(), &self.queue).await;
            } else if !is_connection_error(&error) && attempt >= COMMAND_ERROR_TRIES {
                tracing::error!(queue = %self.queue.name(), %error, "a queue command keeps failing: given up, its entry left for a reclaim");
                return None;
            }
            if self.stopping.is_cancelled() && attempt >= TRIES_WHILE_STOPPING {
                tracing::error!(queue = %self.queue.name(), %error, "Redis is unreachable while stopping: what is held stays pending, for a reclaim");
                self.redis_lost.store(true, Ordering::Relaxed);
                return None;
            }
            future::or(
                self.executor.sleep(backoff.next()),
                self.abandoned.cancelled(),
            )
            .await;
        }
        None
    }
}

/// Milliseconds, for a command argument.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Waits that double from 50 ms up to [`MAX_BACKOFF`], between attempts to reach Redis.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    pub(crate) fn next(&mut self) -> Duration {
        self.failures = (self.failures + 1).min(10);
        Duration::from_millis(50)
            .saturating_mul(1 << (self.failures - 1))
            .min(MAX_BACKOFF)
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}
