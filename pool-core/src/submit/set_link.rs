//! What a [`JobSet`](crate::JobSet)'s jobs share with it: where their outcomes go, and which
//! of them it asked to stop.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use event_listener::{Event, EventListener};

use crate::job::abort::AbortSignal;
use crate::{JobError, JobId};

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

    pub(crate) fn was_aborted(&self, id: JobId) -> bool {
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
