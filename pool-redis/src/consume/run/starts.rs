//! Job starts, counted in Redis in batches.
//!
//! Every job's start is counted before it runs, so that its attempts are its runs (see
//! `StartCount`). Alone, that is a round trip per job. Under load many jobs start at once,
//! so the starts that arrive while one count is under way wait, and go together in the
//! next: one round trip for all of them. None waits for a timer: a start that finds no count
//! under way is sent at once.

use pool_core::{BoxError, CancellationToken};
use uuid::Uuid;

use crate::consume::batched::Batched;

/// The most starts one script call counts.
const MOST_PER_COUNT: usize = 256;

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

/// The starts waiting to be counted: entry id, job key, attempts allowed. Clones share them.
#[derive(Clone)]
pub(crate) struct Starts(Batched<(String, Uuid, u32), Counted>);

impl Starts {
    pub(crate) fn new() -> Self {
        Self(Batched::new("the consumer stopped counting starts"))
    }

    /// Counts a start of job `job_key`, held as entry `entry_id`, which may run
    /// `max_attempts` times in all.
    pub(crate) async fn count(
        &self,
        entry_id: &str,
        job_key: Uuid,
        max_attempts: u32,
    ) -> Result<Counted, BoxError> {
        self.0
            .ask((entry_id.to_owned(), job_key, max_attempts))
            .await
    }

    /// Counts the starts asked for, in batches, until `stop` fires. A failed count fails
    /// every start in it: those runs fail and are retried (a count that failed after Redis
    /// ran it, a timed-out reply say, has charged each its attempt, as a lone count did).
    /// A job dropped while it waited is not counted: that would charge an attempt for
    /// nothing.
    ///
    /// `count` is one round trip: the count of each start (entry id, job key, attempts
    /// allowed) in its order.
    pub(crate) async fn count_until<F, Fut>(&self, count: F, stop: &CancellationToken)
    where
        F: Fn(Vec<(String, Uuid, u32)>) -> Fut,
        Fut: Future<Output = Result<Vec<Counted>, String>>,
    {
        self.0.answer_until(MOST_PER_COUNT, count, stop).await;
    }
}
