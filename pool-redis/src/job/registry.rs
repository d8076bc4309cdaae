//! Which job types a consumer knows, by kind name, and how it decodes each.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;

use pool_core::BoxError;

use crate::job::outcome::completed_json;
use crate::{RemoteContext, RemoteJob};

type Run = Box<dyn FnOnce(RemoteContext) -> Pin<Box<dyn Future<Output = Ran> + Send>> + Send>;
type Ran = Result<Completed, BoxError>;
type Decode = Box<dyn Fn(&str, KeepOutcome) -> Result<Run, String> + Send + Sync>;

/// Whether a job's output is kept for the producer (as JSON) or dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeepOutcome {
    Yes,
    No,
}

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
        let decode: Decode = Box::new(|payload, keep| {
            let job: J = serde_json::from_str(payload).map_err(|error| error.to_string())?;
            let run: Run = Box::new(move |ctx| {
                Box::pin(async move {
                    let output = job.run(ctx).await?;
                    let kept = match keep {
                        KeepOutcome::Yes => Some(completed_json(&output)?),
                        KeepOutcome::No => None,
                    };
                    Ok(Completed { kept })
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

    /// The run of an entry's job, or why it cannot have one.
    pub(crate) fn decode(
        &self,
        kind: &str,
        payload: &str,
        keep: KeepOutcome,
    ) -> Result<RemoteRun, Undecodable> {
        let (&kind, decode) = self
            .decoders
            .get_key_value(kind)
            .ok_or_else(|| Undecodable::UnknownKind(kind.to_owned()))?;
        let run = decode(payload, keep).map_err(Undecodable::BadPayload)?;
        Ok(RemoteRun { kind, run })
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

/// A decoded job: its kind, and its run to call once its start is counted.
pub(crate) struct RemoteRun {
    kind: &'static str,
    run: Run,
}

impl RemoteRun {
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    /// Runs the job, in `ctx`.
    pub(crate) async fn call(self, ctx: RemoteContext) -> Ran {
        (self.run)(ctx).await
    }
}

/// A remote job's success, as the local pool reports it: `RemoteOutcome::Completed`'s JSON
/// if the consumer keeps outcomes (written once, from the job's output), else nothing.
#[derive(Clone, Debug)]
pub(crate) struct Completed {
    pub(crate) kept: Option<String>,
}
