//! A job on its way through the queue: the job, its id, and where its outcome goes.

use std::any::Any;
use std::time::Instant;

use tracing::Span;

use std::sync::Arc;

use crate::submit::reply::{Reply, Slot};
use crate::{JobId, JobProcessor};

/// What travels through the queue: the job's id, one box, and a handle's slot: four words.
///
/// Why so small: the queue is the one memory that the producer's core and the workers' cores
/// both write, and every byte of a slot crosses between them. With the job, its id, its reply
/// and its span side by side in the slot (48 bytes on 64-bit), a hand-written channel fan-out
/// of that size ran at half the speed of one carrying a boxed job (16 bytes) on a 2-core AMD
/// EPYC. A job with a set's reply, a span or a submit time shares one allocation with them (a
/// job that holds data was boxed anyway); a detached job is boxed alone, which allocates
/// nothing when the job is of size zero: the producer's allocator and the worker's free are
/// the costliest part of a job's trip when they run on two cores. A handle's slot travels
/// beside the box, so that a job with a handle needs no allocation of its own either. That is
/// a trade: measured once each (7 x 5 interleaved rounds, noisy), a three-word version with
/// the slot in the box ran detached jobs at 0.64-0.76 of the channel and handles at
/// 0.92-1.00 of a oneshot per job; this one at 0.59-0.68 and 1.03-1.17.
pub(crate) struct Envelope<O> {
    id: JobId,
    job: Box<dyn Packed<O>>,
    /// A handle's slot travels beside the job: a job of size zero then needs no allocation.
    handle: Option<Arc<Slot<O>>>,
}

/// A detached job, alone in its box.
struct Bare<J>(J);

/// A job with its reply, its parent span or its submit time, in one allocation.
struct Packing<J: JobProcessor> {
    /// When it was submitted, if the pool keeps timings.
    submitted_at: Option<Instant>,
    /// Taken by the worker, so that the job is dropped before anyone is told.
    reply: Option<Reply<J::Output>>,
    /// The span current where the job was submitted, the parent of the job's own span; kept
    /// only when a subscriber wants the job spans (`DEBUG`), so that it costs nothing else.
    submitted_in: Option<Box<Span>>,
    job: J,
}

/// A [`Bare`] or [`Packing`] job whose type the pool has forgotten, but can recover: so that an error can
/// hand back the caller's own `J`, and `shutdown_now` can return jobs that can be downcast.
trait Packed<O>: Send {
    fn submitted_at(&self) -> Option<Instant>;
    fn take_reply(&mut self) -> Option<Reply<O>>;
    fn take_span(&mut self) -> Option<Box<Span>>;
    fn job(&mut self) -> &mut dyn JobProcessor<Output = O>;
    fn job_ref(&self) -> &dyn JobProcessor<Output = O>;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
    fn into_boxed_job(self: Box<Self>) -> Box<dyn JobProcessor<Output = O>>;
}

impl<J: JobProcessor> Packed<J::Output> for Packing<J> {
    fn submitted_at(&self) -> Option<Instant> {
        self.submitted_at
    }

    fn take_reply(&mut self) -> Option<Reply<J::Output>> {
        self.reply.take()
    }

    fn take_span(&mut self) -> Option<Box<Span>> {
        self.submitted_in.take()
    }

    fn job(&mut self) -> &mut dyn JobProcessor<Output = J::Output> {
        &mut self.job
    }

    fn job_ref(&self) -> &dyn JobProcessor<Output = J::Output> {
        &self.job
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
}

impl<J: JobProcessor> Packed<J::Output> for Bare<J> {
    fn submitted_at(&self) -> Option<Instant> {
        None
    }

    fn take_reply(&mut self) -> Option<Reply<J::Output>> {
        None
    }

    fn take_span(&mut self) -> Option<Box<Span>> {
        None
    }

    fn job(&mut self) -> &mut dyn JobProcessor<Output = J::Output> {
        &mut self.0
    }

    fn job_ref(&self) -> &dyn JobProcessor<Output = J::Output> {
        &self.0
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
        submitted_at: Option<Instant>,
    ) -> Self {
        if let Some(reply) = &mut reply {
            reply.set_id(id);
        }
        let submitted_in = submitter_span();
        let (handle, reply) = match reply {
            Some(Reply::Handle(slot)) => (Some(slot), None),
            reply => (None, reply),
        };
        let job: Box<dyn Packed<O>> =
            if reply.is_none() && submitted_in.is_none() && submitted_at.is_none() {
                Box::new(Bare(job))
            } else {
                Box::new(Packing {
                    submitted_at,
                    reply,
                    submitted_in,
                    job,
                })
            };
        Self { id, job, handle }
    }
}

impl<O> Envelope<O> {
    pub(crate) fn id(&self) -> JobId {
        self.id
    }

    /// Takes out where the outcome goes: the job is then dropped before anyone is told.
    pub(crate) fn take_reply(&mut self) -> Option<Reply<O>> {
        match self.handle.take() {
            Some(slot) => Some(Reply::Handle(slot)),
            None => self.job.take_reply(),
        }
    }

    pub(crate) fn take_span(&mut self) -> Option<Box<Span>> {
        self.job.take_span()
    }

    pub(crate) fn submitted_at(&self) -> Option<Instant> {
        self.job.submitted_at()
    }

    pub(crate) fn job(&mut self) -> &mut dyn JobProcessor<Output = O> {
        self.job.job()
    }

    pub(crate) fn job_ref(&self) -> &dyn JobProcessor<Output = O> {
        self.job.job_ref()
    }

    /// Whether the envelope holds a `J`.
    pub(crate) fn holds<J: JobProcessor<Output = O>>(&self) -> bool {
        // Through the box: `Box<dyn Packed>` is itself `Any`, and would answer for itself.
        let packed = (*self.job).as_any();
        packed.is::<Bare<J>>() || packed.is::<Packing<J>>()
    }

    /// The caller's job, back in its own type, if it is a `J`.
    pub(crate) fn try_into_job<J: JobProcessor<Output = O>>(self) -> Result<J, Self> {
        if !self.holds::<J>() {
            return Err(self);
        }
        let packed = self.job.into_any();
        match packed.downcast::<Bare<J>>() {
            Ok(bare) => Ok(bare.0),
            Err(packed) => match packed.downcast::<Packing<J>>() {
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

    pub(crate) fn into_boxed_job(self) -> Box<dyn JobProcessor<Output = O>> {
        self.job.into_boxed_job()
    }
}

#[cfg(test)]
mod tests {
    /// Every byte of a queue slot crosses between cores (see [`Envelope`](super::Envelope)).
    #[test]
    fn an_envelope_is_four_words() {
        assert_eq!(
            size_of::<super::Envelope<u64>>(),
            4 * size_of::<usize>(),
            "the queue's slot grew"
        );
    }
}
