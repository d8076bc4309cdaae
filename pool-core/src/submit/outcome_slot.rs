//! One job's outcome, shared by its [`JobHandle`](crate::JobHandle) and the pool: a oneshot
//! that also carries the handle's `abort`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use event_listener::{Event, EventListener};

use crate::job::abort::AbortSignal;
use crate::sync::lock::lock;
use crate::{JobError, JobId};

/// The outcome is in the slot.
const SENT: u8 = 1;
/// The handle was dropped: nobody will read the outcome.
const HANDLE_GONE: u8 = 2;
/// The handle asked for the job to be aborted.
const ABORT: u8 = 4;

/// One job's outcome, shared by its [`JobHandle`](crate::JobHandle) and the pool: a oneshot
/// that also carries the handle's `abort`.
#[derive(Debug)]
pub(crate) struct OutcomeSlot<O> {
    state: AtomicU8,
    outcome: Mutex<Option<Result<O, JobError>>>,
    /// The handle's waker: `atomic-waker`, the lock-free home for one waker.
    waker: AtomicWaker,
    /// Notified on abort, for a running job waiting in `JobContext::cancelled`. Allocates
    /// nothing until someone listens.
    aborted: Event,
}

impl<O> OutcomeSlot<O> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU8::new(0),
            outcome: Mutex::new(None),
            waker: AtomicWaker::new(),
            aborted: Event::new(),
        })
    }

    fn has(&self, flag: u8) -> bool {
        self.state.load(Ordering::Acquire) & flag != 0
    }

    /// Stores the outcome, once, and wakes the handle; later calls do nothing.
    pub(crate) fn send(&self, outcome: Result<O, JobError>) {
        if self.has(SENT) {
            return;
        }
        *lock(&self.outcome) = Some(outcome);
        self.state.fetch_or(SENT, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Whether the handle is gone, so that nobody reads the outcome.
    pub(crate) fn is_closed(&self) -> bool {
        self.has(HANDLE_GONE)
    }

    pub(crate) fn is_sent(&self) -> bool {
        self.has(SENT)
    }

    /// Whether the handle asked for the job to be aborted.
    pub(crate) fn abort_requested(&self) -> bool {
        self.has(ABORT)
    }

    pub(crate) fn abort(&self) {
        self.state.fetch_or(ABORT, Ordering::AcqRel);
        self.aborted.notify(usize::MAX);
    }

    pub(crate) fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<Result<O, JobError>> {
        if !self.has(SENT) {
            self.waker.register(cx.waker());
            // Sent between the check and the registration: the waker may have been missed.
            if !self.has(SENT) {
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

impl<O: Send> AbortSignal for OutcomeSlot<O> {
    fn is_aborted(&self, _job: JobId) -> bool {
        self.abort_requested()
    }

    fn listen(&self) -> EventListener {
        self.aborted.listen()
    }
}
