//! A job on its way through the queue: the job, its id, and where its outcome goes.

use std::any::Any;

use tracing::Span;

use crate::reply::Reply;
use crate::{JobId, JobProcessor};

/// A job whose concrete type the pool has forgotten, but can recover: so that an error can
/// hand back the caller's own `J`, and `shutdown_now` can return jobs that can be downcast.
pub(crate) trait ErasedJob<O>: JobProcessor<Output = O> {
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<J: JobProcessor> ErasedJob<J::Output> for J {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// What travels through the queue. `reply` is `None` for detached submissions, which pay for
/// no outcome slot.
pub(crate) struct Envelope<O> {
    pub(crate) id: JobId,
    pub(crate) job: Box<dyn ErasedJob<O>>,
    pub(crate) reply: Option<Reply<O>>,
    /// The span current where the job was submitted, the parent of the job's own span; kept
    /// only when a subscriber wants the job spans (`DEBUG`), so that it costs nothing else.
    pub(crate) submitted_in: Option<Box<Span>>,
}

/// The submitter's span, if job spans are wanted at all.
fn submitter_span() -> Option<Box<Span>> {
    tracing::level_enabled!(tracing::Level::DEBUG).then(|| Box::new(Span::current()))
}

impl<O: Send + 'static> Envelope<O> {
    pub(crate) fn new<J: JobProcessor<Output = O>>(
        id: JobId,
        job: J,
        mut reply: Option<Reply<O>>,
    ) -> Self {
        if let Some(reply) = &mut reply {
            reply.set_id(id);
        }
        Self {
            id,
            job: Box::new(job),
            reply,
            submitted_in: submitter_span(),
        }
    }

    /// The caller's job, back in its own type, for an error that hands it back.
    pub(crate) fn into_job<J: JobProcessor<Output = O>>(self) -> J {
        match self.job.into_any().downcast::<J>() {
            Ok(job) => *job,
            // The envelope was made from a `J` a moment ago, by the caller of this function.
            Err(_) => unreachable!("an envelope holds the job type it was made with"),
        }
    }
}
