//! Jobs the cases share.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::{BoxError, FnJob, JobContext, JobProcessor, job_fn};

/// A job with a tag, to check that the very job submitted is the one handed back, and a
/// counter of how many times it ran (it must never run after being handed back).
#[derive(Debug, Clone)]
pub struct Tagged {
    pub tag: u64,
    pub runs: Arc<AtomicUsize>,
}

impl Tagged {
    pub fn new(tag: u64) -> Self {
        Self {
            tag,
            runs: Arc::default(),
        }
    }
}

#[async_trait]
impl JobProcessor for Tagged {
    type Output = ();

    fn name(&self) -> &str {
        "tagged"
    }

    async fn process(&self, _ctx: &JobContext) -> Result<(), BoxError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A job that does nothing and succeeds.
pub fn noop()
-> FnJob<impl Fn(JobContext) -> std::future::Ready<Result<(), BoxError>> + Send + Sync + 'static> {
    job_fn("noop", |_ctx| std::future::ready(Ok(())))
}
