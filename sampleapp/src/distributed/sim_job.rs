//! The job the distributed mode publishes: it works a while (a sleep on the consumer's
//! runtime), and fails if told to.

use std::pin::Pin;
use std::time::Duration;

use pool_core::{BoxError, Executor};
use pool_redis::{RemoteContext, RemoteJob};
use serde::{Deserialize, Serialize};

type SleepFn = Box<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The consumer's runtime's sleep: a job is decoded from its payload alone, so it finds the
/// runtime in the state the consumer shares with its jobs (`ConsumerBuilder::data`).
pub struct Sleep(SleepFn);

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sleep")
    }
}

impl Sleep {
    /// Sleeps on `executor`'s runtime.
    pub fn on<E: Executor + Clone>(executor: E) -> Self {
        Self(Box::new(move |duration| {
            let executor = executor.clone();
            Box::pin(async move { executor.sleep(duration).await })
        }))
    }
}

/// How often a long simulated job reports its progress, in ms of work.
const PROGRESS_EVERY_MS: u64 = 100;

/// A simulated job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimJob {
    /// How long it works.
    pub work_ms: u64,
    /// Whether it fails, every time.
    pub fail: bool,
}

impl RemoteJob for SimJob {
    const KIND: &'static str = "sampleapp-sim";
    type Output = u64;

    async fn run(self, ctx: RemoteContext) -> Result<u64, BoxError> {
        let Sleep(sleep) = ctx.data::<Sleep>()?;
        // A long job says how far it got every 100 ms (`status --job KEY` shows it).
        let mut worked = 0;
        while self.work_ms - worked >= PROGRESS_EVERY_MS {
            sleep(Duration::from_millis(PROGRESS_EVERY_MS)).await;
            worked += PROGRESS_EVERY_MS;
            let report = serde_json::json!({ "worked_ms": worked, "of_ms": self.work_ms });
            // Progress is for people watching: a job goes on without it.
            if let Err(error) = ctx.progress(report).await {
                tracing::debug!(%error, "could not report progress");
            }
        }
        sleep(Duration::from_millis(self.work_ms - worked)).await;
        if self.fail {
            return Err("the job was published to fail".into());
        }
        Ok(self.work_ms)
    }
}
