//! Where a job's outcome goes: its handle's slot, or its job set.

use std::sync::Arc;

use crate::job::abort::AbortSignal;
use crate::submit::outcome_slot::OutcomeSlot;
use crate::submit::set_link::SetLink;
use crate::{JobError, JobId};

/// Where an envelope's outcome goes. It sends nothing when dropped: a refused job's reply is
/// dropped with it, and must not reach a set that never counted it. Accepted jobs' outcomes
/// are sent on every path, down to the queue's drop (see `PoolState`'s `Drop`).
pub(crate) enum Reply<O> {
    Handle(Arc<OutcomeSlot<O>>),
    Set(Arc<SetLink<O>>),
}

impl<O> Reply<O> {
    /// Sends job `id`'s outcome.
    pub(crate) fn send(self, id: JobId, outcome: Result<O, JobError>) {
        match self {
            Self::Handle(slot) => slot.send(outcome),
            Self::Set(link) => {
                // Unbounded: never full. Closed: the set is gone, nobody reads it.
                let _ = link.sender.try_send((id, outcome));
            }
        }
    }

    /// Whether the handle (or the set) asked for job `id` to be aborted.
    pub(crate) fn is_aborted(&self, id: JobId) -> bool {
        match self {
            Self::Handle(slot) => slot.abort_requested(),
            Self::Set(link) => link.was_aborted(id),
        }
    }

    /// Whether nobody will read the outcome: the handle or the set was dropped.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Self::Handle(slot) => slot.is_closed(),
            Self::Set(link) => link.sender.is_closed(),
        }
    }

    /// The job's abort signal, for its context.
    pub(crate) fn abort_signal(&self) -> Arc<dyn AbortSignal>
    where
        O: Send + 'static,
    {
        match self {
            Self::Handle(slot) => Arc::clone(slot) as Arc<dyn AbortSignal>,
            Self::Set(link) => Arc::clone(link) as Arc<dyn AbortSignal>,
        }
    }
}
