//! Where statuses go when the results stream is on, and how none is lost on the way.

use std::sync::Mutex;

use async_channel::{Receiver, Sender, TrySendError};

use crate::lock::lock;
use crate::{JobError, JobId, JobStatus, Results};

/// The pool's end of the results stream.
#[derive(Debug)]
pub(crate) struct ResultsSink<O> {
    sender: Sender<JobStatus<O>>,
    /// Held until the first [`take_reader`](Self::take_reader), so that statuses published
    /// before anyone reads are kept (up to the capacity) rather than dropped.
    first_reader: Mutex<Option<Receiver<JobStatus<O>>>>,
    reader: async_channel::WeakReceiver<JobStatus<O>>,
    /// The pool is generic over any `O`; `results` needs `O: Clone`, so the builder stores
    /// `O::clone` here rather than bounding the whole pool.
    clone_output: fn(&O) -> O,
    /// Statuses that could not be sent from a place that cannot wait (a drop guard), flushed
    /// by the shutdown.
    overflow: Mutex<Vec<JobStatus<O>>>,
}

impl<O> ResultsSink<O> {
    pub(crate) fn new(capacity: usize, clone_output: fn(&O) -> O) -> Self {
        let (sender, receiver) = async_channel::bounded(capacity);
        Self {
            sender,
            reader: receiver.downgrade(),
            first_reader: Mutex::new(Some(receiver)),
            clone_output,
            overflow: Mutex::new(Vec::new()),
        }
    }

    /// A reader of the stream, or `None` once every reader has been dropped.
    pub(crate) fn take_reader(&self) -> Option<Results<O>> {
        let first = lock(&self.first_reader).take();
        first.or_else(|| self.reader.upgrade()).map(Results::new)
    }

    /// The status of a job, with a copy of its outcome (the original goes to the handle).
    pub(crate) fn status(
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

    /// Sends a status, waiting for room: a slow reader slows the workers down.
    pub(crate) async fn publish(&self, status: JobStatus<O>) {
        let status = match self.sender.try_send(status) {
            Ok(()) | Err(TrySendError::Closed(_)) => return,
            Err(TrySendError::Full(status)) => status,
        };
        // A worker waiting here may be aborted by a shutdown deadline, which would drop the
        // status inside the send future: keep a copy for the shutdown to flush.
        let mut spare = Spare {
            sink: self,
            status: Some(JobStatus {
                id: status.id,
                name: status.name.clone(),
                outcome: self.duplicate(&status.outcome),
            }),
        };
        let _ = self.sender.send(status).await;
        spare.status = None;
    }

    /// Sends a status without waiting; if the stream is full, keeps it for the shutdown.
    pub(crate) fn publish_now(&self, status: JobStatus<O>) {
        if let Err(TrySendError::Full(status)) = self.sender.try_send(status) {
            lock(&self.overflow).push(status);
        }
    }

    /// Sends what could not be sent before, then ends the stream.
    pub(crate) async fn flush_and_close(&self) {
        let overflow = std::mem::take(&mut *lock(&self.overflow));
        for status in overflow {
            let _ = self.sender.send(status).await;
        }
        self.sender.close();
    }
}

struct Spare<'a, O> {
    sink: &'a ResultsSink<O>,
    status: Option<JobStatus<O>>,
}

impl<O> Drop for Spare<'_, O> {
    fn drop(&mut self) {
        if let Some(status) = self.status.take() {
            lock(&self.sink.overflow).push(status);
        }
    }
}
