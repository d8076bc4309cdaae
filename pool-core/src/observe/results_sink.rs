//! Where statuses go when the results stream is on, and how none is lost on the way.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_channel::{Sender, TrySendError};
use event_listener::Event;
use futures_lite::future;

use crate::sync::lock::lock;
use crate::sync::panic::contain;
use crate::{CancellationToken, JobError, JobId, JobStatus, Results};

/// What the pool and the readers of one stream share besides the channel.
#[derive(Debug)]
pub(crate) struct Backlog<O> {
    /// Statuses that found the stream full when nobody could wait for room (a drop guard, or
    /// any publisher once the pool is stopping). The readers take them after the channel
    /// ends; there are never more than the jobs queued or running when the pool began to stop.
    overflow: Mutex<VecDeque<JobStatus<O>>>,
    /// Notified by the readers when they take a status (room in the stream), or leave.
    room: Event,
}

impl<O> Backlog<O> {
    fn push(&self, status: JobStatus<O>) {
        lock(&self.overflow).push_back(status);
    }

    pub(crate) fn pop(&self) -> Option<JobStatus<O>> {
        lock(&self.overflow).pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.overflow).len()
    }

    /// A reader took a status: one waiting worker may send its own.
    pub(crate) fn made_room(&self) {
        self.room.notify(1);
    }

    /// A reader left: if it was the last, waiting workers must learn that nobody reads.
    pub(crate) fn reader_left(&self) {
        self.room.notify(usize::MAX);
    }
}

/// What `build_with_results` asked for: the stream's capacity, and how to copy an output.
pub(crate) struct ResultsConfig<O> {
    pub(crate) capacity: usize,
    pub(crate) clone_output: fn(&O) -> O,
}

/// The pool's end of the results stream. The pool holds no reader of its own: the readers are
/// the caller's, so a stream nobody holds is closed, and publishing to it costs nothing.
#[derive(Debug)]
pub(crate) struct ResultsSink<O> {
    sender: Sender<JobStatus<O>>,
    backlog: Arc<Backlog<O>>,
    /// Cancelled when the pool begins to stop (any shutdown, its token, or its drop): from
    /// then on nobody waits for a reader, so that no reader can hold a shutdown up.
    stop_waiting: CancellationToken,
    /// The pool is generic over any `O`; the stream needs `O: Clone`, so the builder stores
    /// `O::clone` here rather than bounding the whole pool.
    clone_output: fn(&O) -> O,
}

impl<O> ResultsSink<O> {
    /// The sink and the first reader of a stream of `capacity` statuses. `stop_waiting` must be
    /// a child of the pool's token.
    pub(crate) fn pair(
        ResultsConfig {
            capacity,
            clone_output,
        }: ResultsConfig<O>,
        stop_waiting: CancellationToken,
    ) -> (Self, Results<O>) {
        let (sender, receiver) = async_channel::bounded(capacity);
        let backlog = Arc::new(Backlog {
            overflow: Mutex::new(VecDeque::new()),
            room: Event::new(),
        });
        let reader = Results::new(receiver, Arc::clone(&backlog));
        let sink = Self {
            sender,
            backlog,
            stop_waiting,
            clone_output,
        };
        (sink, reader)
    }

    /// Whether anyone still holds a reader: if not, there is no status to make.
    pub(crate) fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// The status of a job whose outcome also goes to its handle: the stream gets a copy.
    pub(crate) fn copied_status(
        &self,
        id: JobId,
        name: &str,
        outcome: &Result<O, JobError>,
    ) -> JobStatus<O> {
        JobStatus {
            id,
            name: name.to_owned(),
            outcome: self.duplicate(outcome),
        }
    }

    /// A copy of an outcome. The output's `Clone` is the caller's code: if it panics, the
    /// stream gets that panic as the outcome (the handle still gets the value).
    fn duplicate(&self, outcome: &Result<O, JobError>) -> Result<O, JobError> {
        match outcome {
            Ok(value) => contain(|| (self.clone_output)(value)).map_err(|message| {
                JobError::panicked(format!(
                    "cloning the output for the results stream panicked: {message}"
                ))
            }),
            Err(error) => Err(error.clone()),
        }
    }

    /// Sends a status if there is room now. A full stream hands it back, unless the pool is
    /// stopping, when it goes to the overflow instead.
    pub(crate) fn try_publish(&self, status: JobStatus<O>) -> Result<(), JobStatus<O>> {
        match self.sender.try_send(status) {
            Ok(()) | Err(TrySendError::Closed(_)) => Ok(()),
            Err(TrySendError::Full(status)) if self.stop_waiting.is_cancelled() => {
                self.backlog.push(status);
                Ok(())
            }
            Err(TrySendError::Full(status)) => Err(status),
        }
    }

    /// Sends a status without waiting; if the stream is full, keeps it in the overflow.
    pub(crate) fn publish_now(&self, status: JobStatus<O>) {
        if let Err(TrySendError::Full(status)) = self.sender.try_send(status) {
            self.backlog.push(status);
        }
    }

    /// Waits for room in a full stream (back-pressure from a live reader that does not keep
    /// up), until the pool begins to stop; the status then goes to the overflow.
    pub(crate) async fn publish_when_room(&self, status: JobStatus<O>) {
        // Held by a guard while waiting: if the worker is aborted here (a shutdown deadline),
        // the status goes to the overflow rather than being lost.
        let mut held = Held {
            backlog: &self.backlog,
            status: Some(status),
        };
        loop {
            // Listening before trying: room made in between is not missed.
            let room = self.backlog.room.listen();
            let Some(status) = held.status.take() else {
                return;
            };
            match self.try_publish(status) {
                Ok(()) => return,
                Err(status) => held.status = Some(status),
            }
            future::or(room, self.stop_waiting.cancelled()).await;
        }
    }

    /// Ends the stream: readers get what is in it, then the overflow, then `None`.
    pub(crate) fn close(&self) {
        self.stop_waiting.cancel();
        self.sender.close();
    }

    /// From now on, nobody waits for a reader.
    pub(crate) fn stop_waiting(&self) {
        self.stop_waiting.cancel();
    }
}

struct Held<'a, O> {
    backlog: &'a Backlog<O>,
    status: Option<JobStatus<O>>,
}

impl<O> Drop for Held<'_, O> {
    fn drop(&mut self) {
        if let Some(status) = self.status.take() {
            self.backlog.push(status);
        }
    }
}
