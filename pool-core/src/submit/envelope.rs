//! A job on its way through the queue: the job, its id, and where its outcome goes.

use std::any::Any;

use tracing::Span;

use std::sync::Arc;

use crate::observe::clock::Stamp;
use crate::submit::outcome_slot::OutcomeSlot;
use crate::submit::reply::Reply;
use crate::sync::panic::drop_contained;
use crate::{JobId, JobProcessor};

/// What travels through the queue: the job's id, its submit time, one box, and a handle's
/// slot: five words.
///
/// Small, because every byte of a queue slot crosses between the producer's core and the
/// workers'. A detached job is boxed alone (no allocation at all for a job of size zero); a
/// job with a set's reply or a span shares its one allocation with them; a handle's slot and
/// a timed pool's submit time travel beside the box, so neither a job with a handle nor a
/// timed job needs an allocation of its own. `benches/results/` has the measurements behind
/// this layout.
pub(crate) struct Envelope<O> {
    id: JobId,
    /// When it was submitted, by the pool's [`JobClock`](crate::observe::clock::JobClock),
    /// if the pool keeps timings (0 otherwise).
    submitted_at: Stamp,
    job: Box<dyn ErasedJob<O>>,
    /// A handle's slot travels beside the job: a job of size zero then needs no allocation.
    handle: Option<Arc<OutcomeSlot<O>>>,
}

/// What comes with a job and goes elsewhere, taken out of its envelope by the worker that runs
/// it (or by the pool that hands it back).
pub(crate) struct Extras<O> {
    /// Where the outcome goes, if anywhere.
    pub(crate) reply: Option<Reply<O>>,
    /// The span current where the job was submitted, if job spans are wanted.
    pub(crate) submitted_in: Option<Box<Span>>,
}

/// A detached job, alone in its box.
struct JobAlone<J>(J);

/// A job with its reply or its parent span, in one allocation.
struct JobWithExtras<J: JobProcessor> {
    /// Taken by the worker, so that the job is dropped before anyone is told.
    reply: Option<Reply<J::Output>>,
    /// The span current where the job was submitted, the parent of the job's own span; kept
    /// only when a subscriber wants the job spans (`DEBUG`), so that it costs nothing else.
    submitted_in: Option<Box<Span>>,
    job: J,
}

/// A [`JobAlone`] or [`JobWithExtras`] job whose type the pool has forgotten, but can recover: so that an error can
/// hand back the caller's own `J`, and `shutdown_now` can return jobs that can be downcast.
trait ErasedJob<O>: Send {
    /// Everything but the job, in one call: the worker asks once per job.
    fn take_extras(&mut self) -> Extras<O>;
    fn name(&self) -> &str;
    fn job(&mut self) -> &mut dyn JobProcessor<Output = O>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
    fn into_boxed_job(self: Box<Self>) -> Box<dyn JobProcessor<Output = O>>;
    /// Drops the job, containing a panic in its `Drop`.
    fn drop_contained(self: Box<Self>) -> Result<(), String>;
}

impl<J: JobProcessor> ErasedJob<J::Output> for JobWithExtras<J> {
    fn take_extras(&mut self) -> Extras<J::Output> {
        Extras {
            reply: self.reply.take(),
            submitted_in: self.submitted_in.take(),
        }
    }

    fn name(&self) -> &str {
        self.job.name()
    }

    fn job(&mut self) -> &mut dyn JobProcessor<Output = J::Output> {
        &mut self.job
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }

    fn into_boxed_job(self: Box<Self>) -> Box<dyn JobProcessor<Output = J::Output>> {
        Box::new(self.job)
    }

    fn drop_contained(self: Box<Self>) -> Result<(), String> {
        drop_job_contained(self)
    }
}

impl<J: JobProcessor> ErasedJob<J::Output> for JobAlone<J> {
    fn take_extras(&mut self) -> Extras<J::Output> {
        Extras {
            reply: None,
            submitted_in: None,
        }
    }

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
        drop_job_contained(self)
    }
}

/// Drops a boxed job, containing a panic in its `Drop`; a job with no drop code of its own
/// (known when the job's type is) needs no guard.
fn drop_job_contained<T>(job: Box<T>) -> Result<(), String> {
    if std::mem::needs_drop::<T>() {
        drop_contained(job)
    } else {
        drop(job);
        Ok(())
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
        let submitted_in = submitter_span();
        let (handle, reply) = match reply {
            Some(Reply::Handle(slot)) => (Some(slot), None),
            reply => (None, reply),
        };
        let job: Box<dyn ErasedJob<O>> = if reply.is_none() && submitted_in.is_none() {
            Box::new(JobAlone(job))
        } else {
            Box::new(JobWithExtras {
                reply,
                submitted_in,
                job,
            })
        };
        Self {
            id,
            submitted_at,
            job,
            handle,
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
        let mut extras = self.job.take_extras();
        if let Some(slot) = self.handle.take() {
            extras.reply = Some(Reply::Handle(slot));
        }
        extras
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
        let packed = (*self.job).as_any();
        packed.is::<JobAlone<J>>() || packed.is::<JobWithExtras<J>>()
    }

    /// The caller's job, back in its own type, if it is a `J`.
    pub(crate) fn try_into_job<J: JobProcessor<Output = O>>(self) -> Result<J, Self> {
        if !self.holds::<J>() {
            return Err(self);
        }
        let packed = self.job.into_any();
        match packed.downcast::<JobAlone<J>>() {
            Ok(bare) => Ok(bare.0),
            Err(packed) => match packed.downcast::<JobWithExtras<J>>() {
                Ok(packing) => Ok(packing.job),
                Err(_) => unreachable!("the type was checked just above"),
            },
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
            self.handle.is_none(),
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
    /// Every byte of a queue slot crosses between cores (see [`Envelope`](super::Envelope)).
    #[test]
    fn an_envelope_is_five_words() {
        assert_eq!(
            size_of::<super::Envelope<u64>>(),
            5 * size_of::<usize>(),
            "the queue's slot grew"
        );
    }
}
