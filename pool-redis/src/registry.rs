//! Which job types a consumer knows, by kind name, and how it decodes each.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use pool_core::{BoxError, Cancelled, JobContext, JobProcessor, async_trait};
use uuid::Uuid;

use async_lock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use redis::aio::ConnectionManager;

use crate::starts::{Counted, Starts};
use crate::{RemoteContext, RemoteJob, scripts};

type Run = Box<dyn FnOnce(JobContext, u32) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send>;
type Outcome = Result<String, BoxError>;
type Decode = Box<dyn Fn(&str, Uuid) -> Result<Run, String> + Send + Sync>;

/// The job types a consumer runs, by their [`RemoteJob::KIND`].
///
/// # Examples
///
/// ```
/// # use pool_redis::{RemoteContext, RemoteJob};
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Resize { width: u32 }
/// # impl RemoteJob for Resize {
/// #     const KIND: &'static str = "resize";
/// #     type Output = ();
/// #     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_redis::BoxError> { Ok(()) }
/// # }
/// use pool_redis::Registry;
///
/// let registry = Registry::new().register::<Resize>();
/// assert!(registry.knows("resize"));
/// ```
#[derive(Default)]
pub struct Registry {
    decoders: HashMap<&'static str, Decode>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `J`, known by its `KIND` (a later registration of the same kind replaces it).
    #[must_use]
    pub fn register<J: RemoteJob>(mut self) -> Self {
        let decode: Decode = Box::new(|payload, key| {
            let job: J = serde_json::from_str(payload).map_err(|error| error.to_string())?;
            let run: Run = Box::new(move |local, attempt| {
                Box::pin(async move {
                    let ctx = RemoteContext {
                        key,
                        attempt,
                        local,
                    };
                    let output = job.run(ctx).await?;
                    Ok(serde_json::to_string(&output)?)
                })
            });
            Ok(run)
        });
        self.decoders.insert(J::KIND, decode);
        self
    }

    /// Whether a job of `kind` can be run here.
    pub fn knows(&self, kind: &str) -> bool {
        self.decoders.contains_key(kind)
    }

    /// The local job for an entry, or why it cannot be one.
    pub(crate) fn decode(
        &self,
        kind: &str,
        payload: &str,
        key: Uuid,
        start: StartCount,
    ) -> Result<LocalJob, Undecodable> {
        let decode = self
            .decoders
            .get(kind)
            .ok_or_else(|| Undecodable::UnknownKind(kind.to_owned()))?;
        let run = decode(payload, key).map_err(Undecodable::BadPayload)?;
        Ok(LocalJob {
            name: kind.to_owned(),
            run: Some(run),
            start,
        })
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kinds: Vec<_> = self.decoders.keys().collect();
        kinds.sort();
        f.debug_struct("Registry").field("kinds", &kinds).finish()
    }
}

/// Why an entry cannot be run: it goes to the dead letters with this reason.
#[derive(Debug)]
pub(crate) enum Undecodable {
    UnknownKind(String),
    BadPayload(String),
}

impl fmt::Display for Undecodable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKind(kind) => {
                write!(f, "unknown kind {kind:?}: no consumer registered it")
            }
            Self::BadPayload(error) => write!(f, "undecodable payload: {error}"),
        }
    }
}

/// A decoded remote job, as the local pool runs it: its output is the JSON of the job's.
pub(crate) struct LocalJob {
    name: String,
    run: Option<Run>,
    start: StartCount,
}

/// Counting a job's start in Redis before it runs, so that its attempts are its runs: a
/// delivery to a consumer that died before starting it costs nothing, and a run that kills
/// its process counts (it was counted first).
///
/// A process that dies takes every run in it down, so each of them is charged. To charge
/// the job that crashed it and not its neighbours, a job that started before and never
/// reported an outcome (a *suspect*) runs alone: it waits for the runs under way to end,
/// and no other starts until it ends. Once a crash has happened, its jobs are reclaimed as
/// suspects, and the one that crashes again dies alone.
pub(crate) struct StartCount {
    pub(crate) connection: ConnectionManager,
    pub(crate) runs_key: String,
    pub(crate) errors_key: String,
    /// The stream entry: a start is counted only while this consumer holds it.
    pub(crate) entry_id: String,
    pub(crate) job_key: Uuid,
    /// Where the start is counted, with the others of the moment.
    pub(crate) starts: Starts,
    /// Delivered before: it may be a suspect.
    pub(crate) redelivered: bool,
    /// Shared by every run of the consumer; a suspect holds it alone.
    pub(crate) isolation: Arc<RwLock<()>>,
    /// Where the attempt is left for the settlement.
    pub(crate) attempt: Arc<AtomicU32>,
}

/// The right to run: shared by ordinary runs, held alone by a suspect's.
enum RunPermit<'a> {
    Shared(#[allow(dead_code)] RwLockReadGuard<'a, ()>),
    Alone(#[allow(dead_code)] RwLockWriteGuard<'a, ()>),
}

impl StartCount {
    /// Waits for the right to run: alone for a suspect.
    async fn permit(&self) -> Result<RunPermit<'_>, BoxError> {
        if self.redelivered && self.is_suspect().await? {
            tracing::info!(job = %self.job_key, "started before without an outcome: runs alone");
            return Ok(RunPermit::Alone(self.isolation.write().await));
        }
        Ok(RunPermit::Shared(self.isolation.read().await))
    }

    async fn is_suspect(&self) -> Result<bool, BoxError> {
        let mut invocation = scripts::SUSPECT.prepare_invoke();
        invocation
            .key(&self.runs_key)
            .key(&self.errors_key)
            .arg(self.job_key.to_string());
        let suspect: u32 = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(suspect == 1)
    }
}

/// A held entry found, as its job was about to start, taken by another consumer (this
/// one's lease had lapsed, in a pause say): it does not start here.
#[derive(Debug, thiserror::Error)]
#[error("no longer held here: another consumer took the entry")]
pub(crate) struct LeaseLost;

/// A held job that has run `max_attempts` times already, each run ending with its process
/// (it never reported an outcome): it is dead-lettered instead of run again.
#[derive(Debug, thiserror::Error)]
#[error("started {runs} times and no run finished: did each crash its process?")]
pub(crate) struct OutOfAttempts {
    pub(crate) runs: u32,
}

#[async_trait]
impl JobProcessor for LocalJob {
    type Output = String;

    fn name(&self) -> &str {
        &self.name
    }

    async fn process(&mut self, ctx: &JobContext) -> Result<String, BoxError> {
        let run = self.run.take().ok_or("a remote job runs once")?;
        // A stop while it waits for its turn (behind a suspect, or for one): it never
        // started, so it is given back uncharged.
        let permit = async { Some(self.start.permit().await) };
        let stopped = async {
            ctx.cancelled().await;
            None
        };
        let Some(permit) = futures_lite::future::or(stopped, permit).await else {
            return Err(Cancelled.into());
        };
        let _permit = permit?;
        let attempt = match self
            .start
            .starts
            .count(&self.start.entry_id, self.start.job_key)
            .await?
        {
            Counted::Attempt(attempt) => attempt,
            Counted::OutOfAttempts(runs) => return Err(OutOfAttempts { runs }.into()),
            Counted::NotHeld => return Err(LeaseLost.into()),
        };
        self.start.attempt.store(attempt, Ordering::Release);
        run(ctx.clone(), attempt).await
    }
}
