//! A job on its way through the queue: the job, its id, and where its outcome goes.

use std::any::Any;

use tracing::Span;

use crate::observe::clock::Stamp;
use crate::submit::reply::Reply;
use crate::sync::panic::drop_contained;
use crate::{JobId, JobProcessor};

/// What travels through the queue: the job's id, its submit time, its box, and where its
/// outcome goes: seven words, so that with the queue's own 8-byte stamp a slot is 64 bytes.
///
/// A job is boxed alone (no allocation at all for a job of size zero); everything else travels
/// beside the box, so that neither a handle, a job set, nor a timed pool costs an allocation
/// of its own. The size is measured, not derived: on the 2-core Xeon host a 40-byte envelope
/// ran the pool at 0.67 to 0.90 of a 32-byte one, and this 56-byte one at 1.12 to 1.78, while
/// other sizes scattered (`benches/results/2026-12-03-local-speed.md`). The slots are not
/// line-aligned (the queue's buffer is 8-byte aligned), so the cause is not simply one slot
/// per line; an earlier host measured smaller as faster. Measure again before changing it.
pub(crate) struct Envelope<O> {
    id: JobId,
    /// When it was submitted, by the pool's [`JobClock`](crate::observe::clock::JobClock),
    /// if the pool keeps timings (0 otherwise).
    submitted_at: Stamp,
    job: Box<dyn ErasedJob<O>>,
    /// Taken by the worker, so that the job is dropped before anyone is told.
    reply: Option<Reply<O>>,
    /// The span current where the job was submitted, the parent of the job's own span; kept
    /// only when a subscriber wants the job spans (`DEBUG`), so that it costs nothing else.
    submitted_in: Option<Box<Span>>,
}

/// What comes with a job and goes elsewhere, taken out of its envelope by the worker that runs
/// it (or by the pool that hands it back).
pub(crate) struct Extras<O> {
    /// Where the outcome goes, if anywhere.
    pub(crate) reply: Option<Reply<O>>,
    /// The span current where the job was submitted, if job spans are wanted.
    pub(crate) submitted_in: Option<Box<Span>>,
}

/// A job in its box, its type forgotten by the queue.
struct JobAlone<J>(J);

/// A [`JobAlone`] whose type the pool has forgotten, but can recover: so that an error can
/// hand back the caller's own `J`, and `shutdown_now` can return jobs that can be downcast.
trait ErasedJob<O>: Send {
    fn name(&self) -> &str;
    fn job(&mut self) -> &mut dyn JobProcessor<Output = O>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
    fn into_boxed_job(self: Box<Self>) -> Box<dyn JobProcessor<Output = O>>;
    /// Drops the job, containing a panic in its `Drop`.
    fn drop_contained(self: Box<Self>) -> Result<(), String>;
}

impl<J: JobProcessor> ErasedJob<J::Output> for JobAlone<J> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn job(&mut self) -> &mut dyn JobProcessor<Output = J::Output> {
        &mut self.0
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn into_boxed_job(self: Box<Self>) -> Box<dyn JobProcessor<Output = J::Output>> {
        Box::new(self.0)
    }

    fn drop_contained(self: Box<Self>) -> Result<(), String> {
        // A job with no drop code of its own (known here, where its type is) needs no guard.
        if std::mem::needs_drop::<J>() {
            drop_contained(self)
        } else {
            drop(self);
            Ok(())
        }
    }
}

/// The submitter's span, if job spans are wanted at all.
#[inline]
fn submitter_span() -> Option<Box<Span>> {
    tracing::level_enabled!(tracing::Level::DEBUG).then(|| Box::new(Span::current()))
}

impl<O: Send + 'static> Envelope<O> {
    #[inline(always)]
    pub(crate) fn new<J: JobProcessor<Output = O>>(
        id: JobId,
        job: J,
        reply: Option<Reply<O>>,
        submitted_at: Stamp,
    ) -> Self {
        Self {
            id,
            submitted_at,
            job: Box::new(JobAlone(job)),
            reply,
            submitted_in: submitter_span(),
        }
    }
}

impl<O> Envelope<O> {
    pub(crate) fn id(&self) -> JobId {
        self.id
    }

    /// Takes out where the outcome goes (so that the job is dropped before anyone hears of
    /// its outcome) and the submitter's span.
    #[inline]
    pub(crate) fn take_extras(&mut self) -> Extras<O> {
        Extras {
            reply: self.reply.take(),
            submitted_in: self.submitted_in.take(),
        }
    }

    /// When the job was submitted, if the pool keeps timings.
    pub(crate) fn submitted_at(&self) -> Stamp {
        self.submitted_at
    }

    /// The job's own name: its code, which may panic.
    #[inline]
    pub(crate) fn name(&self) -> &str {
        self.job.name()
    }

    pub(crate) fn job(&mut self) -> &mut dyn JobProcessor<Output = O> {
        self.job.job()
    }

    /// Whether the envelope holds a `J`.
    pub(crate) fn holds<J: JobProcessor<Output = O>>(&self) -> bool {
        // Through the box: `Box<dyn ErasedJob>` is itself `Any`, and would answer for itself.
        (*self.job).as_any().is::<JobAlone<J>>()
    }

    /// The caller's job, back in its own type, if it is a `J`.
    pub(crate) fn try_into_job<J: JobProcessor<Output = O>>(self) -> Result<J, Self> {
        if !self.holds::<J>() {
            return Err(self);
        }
        match self.job.into_any().downcast::<JobAlone<J>>() {
            Ok(alone) => Ok(alone.0),
            Err(_) => unreachable!("the type was checked just above"),
        }
    }

    /// The caller's job, back in its own type, for an error that hands it back.
    pub(crate) fn into_job<J: JobProcessor<Output = O>>(self) -> J {
        match self.try_into_job() {
            Ok(job) => job,
            // The envelope was made from a `J` a moment ago, by the caller of this function.
            Err(_) => unreachable!("an envelope holds the job type it was made with"),
        }
    }

    /// Drops the job, containing a panic in its `Drop` (the job's own code). The envelope's
    /// reply must have been taken out: only the job is dropped here.
    #[inline]
    pub(crate) fn drop_contained(self) -> Result<(), String> {
        debug_assert!(
            self.reply.is_none(),
            "the reply is taken before the job is dropped"
        );
        self.job.drop_contained()
    }

    pub(crate) fn into_boxed_job(self) -> Box<dyn JobProcessor<Output = O>> {
        self.job.into_boxed_job()
    }
}

#[cfg(test)]
mod tests {
    /// The size was chosen by measurement (see [`Envelope`](super::Envelope)): a change of
    /// size is a change of speed, to measure again.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_envelope_is_seven_words() {
        assert_eq!(
            size_of::<super::Envelope<u64>>(),
            7 * size_of::<usize>(),
            "the queue's slot changed size"
        );
    }
}
