//! Where a job's outcome goes: its handle's slot, a job set's channel, or nowhere.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll, Waker};

use event_listener::{Event, EventListener};

use crate::job::abort::AbortSignal;
use crate::sync::lock::lock;
use crate::{JobError, JobId};

/// The outcome is in the slot.
const TOLD: u8 = 1;
/// The handle was dropped: nobody will read the outcome.
const HANDLE_GONE: u8 = 2;
/// The handle asked for the job to be aborted.
const ABORT: u8 = 4;

/// One job's outcome, shared by its [`JobHandle`](crate::JobHandle) and the pool: a oneshot
/// that also carries the handle's `abort`.
#[derive(Debug)]
pub(crate) struct Slot<O> {
    state: AtomicU8,
    outcome: Mutex<Option<Result<O, JobError>>>,
    waker: Mutex<Option<Waker>>,
    /// Notified on abort, for a running job waiting in `JobContext::cancelled`. Allocates
    /// nothing until someone listens.
    aborted: Event,
}

impl<O> Slot<O> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU8::new(0),
            outcome: Mutex::new(None),
            waker: Mutex::new(None),
            aborted: Event::new(),
        })
    }

    fn has(&self, flag: u8) -> bool {
        self.state.load(Ordering::Acquire) & flag != 0
    }

    /// Tells the outcome, once; later calls do nothing.
    pub(crate) fn tell(&self, outcome: Result<O, JobError>) {
        if self.has(TOLD) {
            return;
        }
        *lock(&self.outcome) = Some(outcome);
        self.state.fetch_or(TOLD, Ordering::AcqRel);
        if let Some(waker) = lock(&self.waker).take() {
            waker.wake();
        }
    }

    /// Whether the handle is gone, so that nobody reads the outcome.
    pub(crate) fn is_unheard(&self) -> bool {
        self.has(HANDLE_GONE)
    }

    pub(crate) fn is_told(&self) -> bool {
        self.has(TOLD)
    }

    pub(crate) fn abort(&self) {
        self.state.fetch_or(ABORT, Ordering::AcqRel);
        self.aborted.notify(usize::MAX);
    }

    pub(crate) fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<Result<O, JobError>> {
        if !self.has(TOLD) {
            *lock(&self.waker) = Some(cx.waker().clone());
            // Told between the check and the registration: the waker may have been missed.
            if !self.has(TOLD) {
                return Poll::Pending;
            }
        }
        match lock(&self.outcome).take() {
            Some(outcome) => Poll::Ready(outcome),
            // Polled again after it resolved: as a `JoinHandle` would, report the job gone.
            None => Poll::Ready(Err(JobError::NOT_STARTED)),
        }
    }

    pub(crate) fn handle_dropped(&self) {
        self.state.fetch_or(HANDLE_GONE, Ordering::AcqRel);
    }
}

impl<O: Send> AbortSignal for Slot<O> {
    fn is_aborted(&self, _job: JobId) -> bool {
        self.has(ABORT)
    }

    fn listen(&self) -> EventListener {
        self.aborted.listen()
    }
}

/// The outcome of a job in a [`JobSet`](crate::JobSet), on its way to the set.
pub(crate) type SetEntry<O> = (JobId, Result<O, JobError>);

/// What a [`JobSet`](crate::JobSet)'s jobs share with it: where their outcomes go, and which
/// of them it asked to stop.
#[derive(Debug)]
pub(crate) struct SetLink<O> {
    pub(crate) sender: async_channel::Sender<SetEntry<O>>,
    /// Set once any job was aborted: until then nobody takes the lock.
    any_aborted: AtomicBool,
    /// Read by every job of the set that asks whether it was aborted, once any was.
    aborted: RwLock<HashSet<JobId>>,
    /// Notified on abort, for a running job waiting in `JobContext::cancelled`.
    abort_event: Event,
}

impl<O> SetLink<O> {
    pub(crate) fn new(sender: async_channel::Sender<SetEntry<O>>) -> Self {
        Self {
            sender,
            any_aborted: AtomicBool::new(false),
            aborted: RwLock::new(HashSet::new()),
            abort_event: Event::new(),
        }
    }

    /// Asks job `id` to stop (or never to start).
    pub(crate) fn abort(&self, id: JobId) {
        self.aborted
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        self.any_aborted.store(true, Ordering::Release);
        self.abort_event.notify(usize::MAX);
    }

    /// Forgets the abort of a job whose outcome the set has taken.
    pub(crate) fn joined(&self, id: JobId) {
        if self.any_aborted.load(Ordering::Acquire) {
            self.aborted
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    }

    fn was_aborted(&self, id: JobId) -> bool {
        self.any_aborted.load(Ordering::Acquire)
            && self
                .aborted
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&id)
    }
}

impl<O: Send> AbortSignal for SetLink<O> {
    fn is_aborted(&self, job: JobId) -> bool {
        self.was_aborted(job)
    }

    fn listen(&self) -> EventListener {
        self.abort_event.listen()
    }
}

/// Where an envelope's outcome goes. It tells nothing when dropped: a refused job's reply is
/// dropped with it, and must not reach a set that never counted it. Accepted jobs are told on
/// every path, down to the queue's drop (see `Shared`'s `Drop`).
pub(crate) enum Reply<O> {
    Handle(Arc<Slot<O>>),
    /// Taken when told.
    Set(JobId, Option<Arc<SetLink<O>>>),
}

impl<O> Reply<O> {
    pub(crate) fn tell(self, outcome: Result<O, JobError>) {
        match self {
            Self::Handle(slot) => slot.tell(outcome),
            Self::Set(id, Some(link)) => {
                // Unbounded: never full. Closed: the set is gone, nobody hears.
                let _ = link.sender.try_send((id, outcome));
            }
            Self::Set(_, None) => {}
        }
    }

    /// Whether the handle asked for an abort.
    pub(crate) fn is_aborted(&self) -> bool {
        match self {
            Self::Handle(slot) => slot.has(ABORT),
            Self::Set(id, link) => link.as_ref().is_some_and(|link| link.was_aborted(*id)),
        }
    }

    /// Whether nobody will hear the outcome: the handle or the set was dropped.
    pub(crate) fn is_unheard(&self) -> bool {
        match self {
            Self::Handle(slot) => slot.is_unheard(),
            Self::Set(_, link) => link.as_ref().is_none_or(|link| link.sender.is_closed()),
        }
    }

    /// The job's abort signal, if its handle or set can send one.
    pub(crate) fn abort_signal(&self) -> Option<Arc<dyn AbortSignal>>
    where
        O: Send + 'static,
    {
        match self {
            Self::Handle(slot) => Some(Arc::clone(slot) as Arc<dyn AbortSignal>),
            Self::Set(_, link) => link
                .as_ref()
                .map(|link| Arc::clone(link) as Arc<dyn AbortSignal>),
        }
    }

    /// The set's entry learns its job's id, given once the job is admitted.
    pub(crate) fn set_id(&mut self, job_id: JobId) {
        if let Self::Set(id, _) = self {
            *id = job_id;
        }
    }
}
