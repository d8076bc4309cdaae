//! Moving delayed jobs into the stream as they fall due: scheduled jobs, and failed ones
//! whose back-off has passed. Every consumer does it, at a random phase; the script moves
//! each job once, whoever runs it.

use std::time::Duration;

use pool_core::Executor;
use redis::Value;

use crate::consume::queue_state::QueueState;
use crate::consume::stats::Counters;
use crate::store::scripts;

/// Jobs moved per script call, at most: a long run of due jobs is moved in several calls,
/// one after the other, so that no call holds Redis for long.
const PROMOTE_BATCH: u64 = 256;

/// What one promotion did.
struct Promoted {
    moved: u64,
    /// How long until the next delayed job is due, if there is one.
    next_due_in: Option<Duration>,
}

impl<E: Executor> QueueState<E> {
    /// Moves due jobs into the stream, looking again when the next is due or every
    /// `promote_every` (a producer may add one due sooner), until a shutdown.
    pub(crate) async fn promote_until_stopped(&self) {
        let period = self.config.promote_every;
        // A random phase, so that consumers started together do not all look at once.
        self.pause(period.mul_f64(fastrand::f64())).await;
        while !self.stopping.is_cancelled() {
            let wait = match self.promote().await {
                Some(promoted) if promoted.moved == PROMOTE_BATCH => Duration::ZERO,
                Some(promoted) => promoted.next_due_in.map_or(period, |due| due.min(period)),
                // Redis refused or is away: `with_retries` said why; look again later.
                None => period,
            };
            self.pause(wait).await;
        }
    }

    /// One `PROMOTE` call, counted.
    async fn promote(&self) -> Option<Promoted> {
        let reply: Vec<Value> = self
            .with_retries(|mut connection| {
                let mut invocation = scripts::PROMOTE.prepare_invoke();
                invocation
                    .key(self.queue.delayed_key())
                    .key(self.queue.delayed_jobs_key())
                    .key(self.queue.jobs_key())
                    .key(self.queue.totals_key())
                    .arg(PROMOTE_BATCH);
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        let [moved, retries, next_due, now] = <[Value; 4]>::try_from(reply).ok()?;
        let number = |value: Value| redis::from_redis_value::<i64>(value).ok();
        let (moved, retries) = (number(moved)?, number(retries)?);
        let (next_due, now) = (number(next_due)?, number(now)?);
        let moved = u64::try_from(moved).unwrap_or(0);
        Counters::add(&self.counters.promoted, moved);
        Counters::add(
            &self.counters.retries_taken,
            u64::try_from(retries).unwrap_or(0),
        );
        let next_due_in = (next_due >= 0)
            .then(|| Duration::from_millis(u64::try_from(next_due - now).unwrap_or(0)));
        Some(Promoted { moved, next_due_in })
    }
}
