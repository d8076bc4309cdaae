//! Enqueueing periodic jobs: every consumer that registers a schedule keeps its next tick
//! enqueued, and the `TICK` script lets exactly one of them enqueue each tick.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pool_core::Executor;

use crate::consume::config::Periodic;
use crate::consume::queue_state::QueueState;
use crate::consume::with_retries::millis;
use crate::store::scripts;

/// The longest a consumer goes without looking at its schedules: a schedule whose ticks are
/// far apart is still looked at, in case another consumer's clock ran ahead.
const LOOK_AT_LEAST_EVERY: Duration = Duration::from_secs(60);

/// Now, in Unix ms, by this host's clock (a schedule's ticks are absolute times).
fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// What making sure of a schedule's next tick found.
enum NextTick {
    /// This tick (Unix ms) is enqueued: the last one enqueued, by anyone.
    Enqueued(u64),
    /// The schedule has no more ticks.
    NoMore,
    /// Redis could not be asked, or refused.
    Failed,
}

impl<E: Executor> QueueState<E> {
    /// Keeps each periodic job's next tick enqueued, waking when the earliest enqueued tick
    /// falls due, until a shutdown.
    pub(crate) async fn tick_until_stopped(&self) {
        if self.config.periodic.is_empty() {
            return;
        }
        while !self.stopping.is_cancelled() {
            let mut wake_at = now_ms().saturating_add(millis(LOOK_AT_LEAST_EVERY));
            for periodic in &self.config.periodic {
                let next_look = match self.enqueue_next_tick(periodic).await {
                    NextTick::Enqueued(tick) => tick,
                    NextTick::NoMore => continue,
                    // Redis refused (full, say) or is away: soon again, not a period later.
                    NextTick::Failed => now_ms().saturating_add(millis(self.config.promote_every)),
                };
                wake_at = wake_at.min(next_look);
            }
            // A little after the tick, so that the next one computed is the one after.
            let wait = wake_at.saturating_sub(now_ms()) + 1 + fastrand::u64(..20);
            self.pause(Duration::from_millis(wait)).await;
        }
    }

    /// Makes sure `periodic`'s next tick is enqueued, by this consumer or already by
    /// another.
    async fn enqueue_next_tick(&self, periodic: &Periodic) -> NextTick {
        let Some(tick) = periodic.schedule.next_after(now_ms()) else {
            return NextTick::NoMore;
        };
        // Checked at connect: a periodic job without a payload never gets here.
        let Ok(payload) = periodic.payload.as_deref() else {
            return NextTick::NoMore;
        };
        let key = self.queue.periodic_job_key_ms(&periodic.name, tick);
        let enqueued: Option<(u8, u64)> = self
            .with_retries(|mut connection| {
                let mut invocation = scripts::TICK.prepare_invoke();
                invocation
                    .key(self.queue.periodic_key())
                    .key(self.queue.delayed_key())
                    .key(self.queue.delayed_jobs_key())
                    .arg(&periodic.name)
                    .arg(tick)
                    .arg(periodic.kind)
                    .arg(key.to_string())
                    .arg(payload);
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await;
        let Some((enqueued, last)) = enqueued else {
            return NextTick::Failed;
        };
        if enqueued == 1 {
            tracing::debug!(queue = %self.queue.name(), name = %periodic.name, tick, "enqueued a periodic job's tick");
        }
        NextTick::Enqueued(last)
    }
}
