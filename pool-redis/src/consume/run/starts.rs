//! Job starts, counted in Redis in batches.
//!
//! Every job's start is counted before it runs, so that its attempts are its runs (see
//! `StartCount`). Alone, that is a round trip per job. Under load many jobs start at once,
//! so the starts that arrive while one count is under way wait, and go together in the
//! next: one round trip for all of them. None waits for a timer: a start that finds no count
//! under way is sent at once.

use async_channel::{Receiver, Sender};
use futures_lite::future;
use pool_core::{BoxError, CancellationToken};
use uuid::Uuid;

/// The most starts one script call counts.
const MOST_PER_COUNT: usize = 256;

/// Said to the starts still waiting when the consumer stops counting.
const STOPPED: &str = "the consumer stopped counting starts";

/// A start to count, and where its count goes.
struct Request {
    entry_id: String,
    job_key: Uuid,
    max_attempts: u32,
    reply: Sender<Result<Counted, String>>,
}

/// What counting a start found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    /// The run may start: it is this attempt.
    Attempt(u32),
    /// It has used its attempts up, with this many runs: it does not start.
    OutOfAttempts(u32),
    /// Another consumer holds the entry now: it does not start here.
    NotHeld,
    /// It was asked to be cancelled: it does not start.
    Cancelled,
    /// Over its kind's limit (found before its start was counted): moved to the delayed
    /// set to wait for its turn, without using an attempt.
    OverLimit,
    /// Deleted from the stream while pending (found before its start was counted): there
    /// is nothing to run.
    Deleted,
}

/// The starts waiting to be counted. Clones share them.
#[derive(Clone)]
pub(crate) struct Starts {
    requests: Sender<Request>,
    waiting: Receiver<Request>,
}

impl Starts {
    pub(crate) fn new() -> Self {
        let (requests, waiting) = async_channel::unbounded();
        Self { requests, waiting }
    }

    /// Counts a start of job `job_key`, held as entry `entry_id`, which may run
    /// `max_attempts` times in all.
    pub(crate) async fn count(
        &self,
        entry_id: &str,
        job_key: Uuid,
        max_attempts: u32,
    ) -> Result<Counted, BoxError> {
        let (reply, counted) = async_channel::bounded(1);
        let request = Request {
            entry_id: entry_id.to_owned(),
            job_key,
            max_attempts,
            reply,
        };
        self.requests.send(request).await.map_err(|_| STOPPED)?;
        Ok(counted.recv().await.map_err(|_| STOPPED)??)
    }

    /// Counts the starts asked for, in batches, until `stop` fires. A failed count fails
    /// every start in it: those runs fail and are retried (a count that failed after Redis
    /// ran it, a timed-out reply say, has charged each its attempt, as a lone count did).
    ///
    /// However it ends, returned or dropped with the consumer's `run`, the starts waiting
    /// then and any asked for later fail at once rather than wait for ever.
    ///
    /// `count` is one round trip: the count of each start (entry id, job key, attempts
    /// allowed) in its order.
    pub(crate) async fn count_until<F, Fut>(&self, count: F, stop: &CancellationToken)
    where
        F: Fn(Vec<(String, Uuid, u32)>) -> Fut,
        Fut: Future<Output = Result<Vec<Counted>, String>>,
    {
        let _closing = CloseOnDrop(&self.waiting);
        loop {
            let next = async { self.waiting.recv().await.ok() };
            let stopped = async {
                stop.cancelled().await;
                None
            };
            let Some(first) = future::or(stopped, next).await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MOST_PER_COUNT {
                let Ok(request) = self.waiting.try_recv() else {
                    break;
                };
                batch.push(request);
            }
            // A job dropped while it waited (its timeout, an abort) never runs: counting it
            // would charge an attempt for nothing.
            batch.retain(|request| request.reply.receiver_count() > 0);
            if batch.is_empty() {
                continue;
            }
            let starts = batch
                .iter()
                .map(|request| {
                    (
                        request.entry_id.clone(),
                        request.job_key,
                        request.max_attempts,
                    )
                })
                .collect();
            let counted = count(starts).await;
            for (index, request) in batch.into_iter().enumerate() {
                let reply = match &counted {
                    Ok(counts) => Ok(counts[index]),
                    Err(error) => Err(error.clone()),
                };
                let _ = request.reply.try_send(reply);
            }
        }
    }
}

/// Closes the queue of starts when the loop that counts them ends: a closed channel drops
/// the requests it holds, so their jobs hear at once that no count will come.
struct CloseOnDrop<'a>(&'a Receiver<Request>);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
        while self.0.try_recv().is_ok() {}
    }
}
