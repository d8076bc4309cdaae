//! A held entry's job as the local pool runs it: it waits for its permit to run, has its
//! start counted in Redis, notes what the count found in the entry's record, then runs.

use std::sync::Arc;

use pool_core::{BoxError, CancellationToken, Cancelled, JobContext, JobProcessor, async_trait};
use uuid::Uuid;

use crate::consume::hold::holdings::Holdings;
use crate::consume::limit::admission::{Admission, Admitted};
use crate::consume::run::crash_isolation::CrashIsolation;
use crate::consume::run::starts::{Counted, Starts};
use crate::job::middleware::{Middleware, Next};
use crate::job::progress::ProgressSink;
use crate::job::registry::{Completed, RemoteRun};
use crate::job::shared_data::SharedData;
use crate::trace::JobSpan;
use crate::{RemoteContext, RetryPolicy};
use tracing::Instrument;

/// What a local job needs to start: where its start is counted and noted, and its permit.
pub(crate) struct Start {
    /// The stream entry: a start is counted only while this consumer holds it.
    pub(crate) entry_id: String,
    pub(crate) job_key: Uuid,
    /// Delivered before: it may be a suspect (see `crash_isolation`).
    pub(crate) redelivered: bool,
    /// Its kind's retry policy: how many runs it may have.
    pub(crate) retry: RetryPolicy,
    /// Fired when the job is asked to be cancelled (see `Holdings::cancel_entries`).
    pub(crate) cancel: CancellationToken,
    pub(crate) starts: Starts,
    pub(crate) isolation: Arc<CrashIsolation>,
    /// Where what the count found is noted, for the settlement.
    pub(crate) holdings: Arc<Holdings>,
    /// What the consumer's jobs share.
    pub(crate) data: Arc<SharedData>,
    /// Its kind's limits, if it has any: asked before its start is counted.
    pub(crate) admission: Option<Arc<Admission>>,
    /// The consumer's middleware, outermost first, and its queue's name.
    pub(crate) middleware: Arc<[Arc<dyn Middleware>]>,
    pub(crate) queue: Arc<str>,
    /// Where its progress reports go.
    pub(crate) progress: Arc<ProgressSink>,
    /// The producer's span context, if it sent one: the run's span continues its trace.
    pub(crate) traceparent: Option<String>,
    /// Its kind's places in this consumer, if the kind has a local concurrency limit.
    pub(crate) local_limit: Option<Arc<async_lock::Semaphore>>,
}

/// A decoded remote job, ready for the local pool.
pub(crate) struct LocalJob {
    kind: &'static str,
    run: Option<RemoteRun>,
    start: Start,
}

impl LocalJob {
    pub(crate) fn new(run: RemoteRun, start: Start) -> Self {
        Self {
            kind: run.kind(),
            run: Some(run),
            start,
        }
    }

    /// The producer's key for its job.
    pub(crate) fn job_key(&self) -> Uuid {
        self.start.job_key
    }

    /// Its kind's retry policy.
    pub(crate) fn retry(&self) -> RetryPolicy {
        self.start.retry
    }

    /// What fires when the job is asked to be cancelled.
    pub(crate) fn cancel_token(&self) -> CancellationToken {
        self.start.cancel.clone()
    }
}

/// A held entry found, as its job was about to start, taken by another consumer (this
/// one's lease had lapsed, in a pause say): it does not start here.
#[derive(Debug, thiserror::Error)]
#[error("not started: another consumer took the entry")]
pub(crate) struct LeaseLost;

/// A held job found, as it was about to start, over its kind's limit (it waits for its
/// turn in the delayed set), taken by another consumer, or deleted: it does not start here.
#[derive(Debug, thiserror::Error)]
#[error("not started: {0:?}")]
pub(crate) struct NotStarted(Counted);

/// A held job that has run `max_attempts` times already, each run ending with its process
/// (it never reported an outcome): it is dead-lettered instead of run again.
#[derive(Debug, thiserror::Error)]
#[error("not started: started {runs} times and no run finished")]
pub(crate) struct OutOfAttempts {
    pub(crate) runs: u32,
}

#[async_trait]
impl JobProcessor for LocalJob {
    type Output = Completed;

    fn name(&self) -> &str {
        self.kind
    }

    async fn process(&mut self, ctx: &JobContext) -> Result<Completed, BoxError> {
        let run = self.run.take().ok_or("a remote job runs once")?;
        let start = &self.start;
        // Its kind's local limit: it waits, on its worker, for one of the kind's places in
        // this consumer. A stop meanwhile gives it back uncharged (it never started).
        let local_turn = async {
            match &start.local_limit {
                Some(places) => Some(Some(places.acquire_arc().await)),
                None => Some(None),
            }
        };
        let stopped = async {
            ctx.cancelled().await;
            None
        };
        let Some(_local_turn) = futures_lite::future::or(stopped, local_turn).await else {
            return Err(Cancelled.into());
        };
        // A stop while it waits for its turn (behind a suspect, or for one): it never
        // started, so it is given back uncharged.
        let permit = async {
            Some(
                start
                    .isolation
                    .permit(start.job_key, start.redelivered)
                    .await,
            )
        };
        let stopped = async {
            ctx.cancelled().await;
            None
        };
        let Some(permit) = futures_lite::future::or(stopped, permit).await else {
            return Err(Cancelled.into());
        };
        let _permit = permit?;
        if let Some(admission) = &start.admission {
            let admitted = admission.admit(&start.entry_id, start.job_key).await?;
            let not_started = match admitted {
                Admitted::Yes { slot: None } => None,
                Admitted::Yes { slot: Some(slot) } => {
                    let admission = Arc::clone(admission);
                    start.holdings.took_slot(ctx.job_id(), admission, slot);
                    None
                }
                Admitted::Waits => Some(Counted::OverLimit),
                Admitted::NotHeld => Some(Counted::NotHeld),
                Admitted::Deleted => Some(Counted::Deleted),
            };
            if let Some(found) = not_started {
                start.holdings.started(ctx.job_id(), found);
                return Err(NotStarted(found).into());
            }
        }
        let max_attempts = start.retry.max_attempts();
        let counted = start
            .starts
            .count(&start.entry_id, start.job_key, max_attempts)
            .await?;
        start.holdings.started(ctx.job_id(), counted);
        match counted {
            Counted::Attempt(attempt) => {
                let remote = RemoteContext {
                    key: start.job_key,
                    kind: self.kind,
                    queue: Arc::clone(&start.queue),
                    attempt,
                    local: ctx.clone(),
                    cancel: start.cancel.clone(),
                    data: Arc::clone(&start.data),
                    progress: Arc::clone(&start.progress),
                };
                let waited_ms = waited_ms(&start.entry_id);
                let span = JobSpan {
                    queue: &start.queue,
                    kind: self.kind,
                    key: start.job_key,
                    attempt,
                    waited_ms,
                    traceparent: start.traceparent.as_deref(),
                }
                .span();
                #[cfg(feature = "metrics")]
                let started = std::time::Instant::now();
                let finished = Next::new(&start.middleware, &remote, run)
                    .run()
                    .instrument(span)
                    .await;
                #[cfg(feature = "metrics")]
                crate::consume::metrics::job_ran(
                    &start.queue,
                    self.kind,
                    std::time::Duration::from_millis(waited_ms),
                    started.elapsed(),
                );
                Ok(finished?.0)
            }
            Counted::Cancelled => Err(Cancelled.into()),
            Counted::OutOfAttempts(runs) => Err(OutOfAttempts { runs }.into()),
            Counted::NotHeld => Err(LeaseLost.into()),
            Counted::OverLimit | Counted::Deleted => Err(NotStarted(counted).into()),
        }
    }
}

/// How long entry `entry_id` has been in the stream: its id starts with the Unix ms it was
/// added at (by Redis's clock, which on one host is this one).
fn waited_ms(entry_id: &str) -> u64 {
    let added: u64 = entry_id
        .split('-')
        .next()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
    now.saturating_sub(added)
}
