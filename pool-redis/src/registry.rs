//! Which job types a consumer knows, by kind name, and how it decodes each.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;

use pool_core::{BoxError, JobContext, JobProcessor, async_trait};
use uuid::Uuid;

use crate::{RemoteContext, RemoteJob};

type Run = Box<dyn FnOnce(JobContext) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send>;
type Outcome = Result<String, BoxError>;
type Decode = Box<dyn Fn(&str, Uuid, u32) -> Result<Run, String> + Send + Sync>;

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
/// #     async fn run(self, _ctx: RemoteContext) -> Result<(), pool_core::BoxError> { Ok(()) }
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
        let decode: Decode = Box::new(|payload, key, attempt| {
            let job: J = serde_json::from_str(payload).map_err(|error| error.to_string())?;
            let run: Run = Box::new(move |local| {
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
        attempt: u32,
    ) -> Result<LocalJob, Undecodable> {
        let decode = self
            .decoders
            .get(kind)
            .ok_or_else(|| Undecodable::UnknownKind(kind.to_owned()))?;
        let run = decode(payload, key, attempt).map_err(Undecodable::BadPayload)?;
        Ok(LocalJob {
            name: kind.to_owned(),
            run: Some(run),
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
}

#[async_trait]
impl JobProcessor for LocalJob {
    type Output = String;

    fn name(&self) -> &str {
        &self.name
    }

    async fn process(&mut self, ctx: &JobContext) -> Result<String, BoxError> {
        let run = self.run.take().ok_or("a remote job runs once")?;
        run(ctx.clone()).await
    }
}
