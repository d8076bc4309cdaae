//! Where statuses go when the results stream is on, and how none is lost on the way.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_channel::{Sender, TrySendError};
use futures_lite::future;

use crate::lock::lock;
use crate::{CancellationToken, JobError, JobId, JobStatus, Results};

/// Statuses that found the stream full when nobody could wait for room (a drop guard, or any
/// publisher once the pool is stopping). The readers take them after the channel ends; there
/// are never more than the jobs queued or running when the pool began to stop.
pub(crate) type Overflow<O> = Arc<Mutex<VecDeque<JobStatus<O>>>>;

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
    overflow: Overflow<O>,
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
        let overflow = Overflow::default();
        let reader = Results::new(receiver, Arc::clone(&overflow));
        let sink = Self {
            sender,
            overflow,
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

    fn duplicate(&self, outcome: &Result<O, JobError>) -> Result<O, JobError> {
        match outcome {
            Ok(value) => Ok((self.clone_output)(value)),
            Err(error) => Err(error.clone()),
        }
    }

    /// Sends a status if there is room now. A full stream hands it back, unless the pool is
    /// stopping, when it goes to the overflow instead.
    pub(crate) fn try_publish(&self, status: JobStatus<O>) -> Result<(), JobStatus<O>> {
        match self.sender.try_send(status) {
            Ok(()) | Err(TrySendError::Closed(_)) => Ok(()),
            Err(TrySendError::Full(status)) if self.stop_waiting.is_cancelled() => {
                lock(&self.overflow).push_back(status);
                Ok(())
            }
            Err(TrySendError::Full(status)) => Err(status),
        }
    }

    /// Sends a status without waiting; if the stream is full, keeps it in the overflow.
    pub(crate) fn publish_now(&self, status: JobStatus<O>) {
        if let Err(TrySendError::Full(status)) = self.sender.try_send(status) {
            lock(&self.overflow).push_back(status);
        }
    }

    /// Waits for room in a full stream (back-pressure from a live reader that does not keep
    /// up), until the pool begins to stop; the status then goes to the overflow.
    pub(crate) async fn publish_when_room(&self, status: JobStatus<O>) {
        // The send future owns the status, and is dropped if the pool stops first (or the
        // worker is aborted at a shutdown deadline): the spare copy then goes to the overflow.
        let mut spare = Spare {
            overflow: &self.overflow,
            status: Some(JobStatus {
                id: status.id,
                name: status.name.clone(),
                outcome: self.duplicate(&status.outcome),
            }),
        };
        let sent = async {
            // An error means every reader is gone: nobody is left to tell.
            let _ = self.sender.send(status).await;
            true
        };
        let stopping = async {
            self.stop_waiting.cancelled().await;
            false
        };
        if future::or(sent, stopping).await {
            spare.status = None;
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

struct Spare<'a, O> {
    overflow: &'a Overflow<O>,
    status: Option<JobStatus<O>>,
}

impl<O> Drop for Spare<'_, O> {
    fn drop(&mut self) {
        if let Some(status) = self.status.take() {
            lock(self.overflow).push_back(status);
        }
    }
}
