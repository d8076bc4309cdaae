//! Counting a batch of job starts in Redis: one `START` script call (see `starts`).

use pool_core::Executor;
use uuid::Uuid;

use crate::consume::queue_state::QueueState;
use crate::consume::run::starts::Counted;
use crate::error::is_no_permission;
use crate::store::id_span::id_span;
use crate::store::queue::GROUP;
use crate::store::scripts;

impl<E: Executor> QueueState<E> {
    /// One round trip: what counting each start (entry id, job key, attempts allowed) in
    /// `starts` found, in its order. A permission refused stops the consumer.
    pub(crate) async fn count_starts(
        &self,
        starts: Vec<(String, Uuid, u32)>,
    ) -> Result<Vec<Counted>, String> {
        let mut invocation = scripts::START.prepare_invoke();
        invocation
            .key(self.queue.runs_key())
            .key(self.queue.jobs_key())
            .key(self.queue.cancels_key())
            .arg(GROUP)
            .arg(&self.name);
        let (low, high) = id_span(starts.iter().map(|(entry_id, _, _)| entry_id.as_str()));
        invocation.arg(low).arg(high);
        for (entry_id, job_key, max_attempts) in &starts {
            invocation
                .arg(entry_id)
                .arg(job_key.to_string())
                .arg(max_attempts);
        }
        match invocation
            .invoke_async::<Vec<i64>>(&mut self.commands.clone())
            .await
        {
            Ok(verdicts) if verdicts.len() == 2 * starts.len() => verdicts
                .chunks(2)
                .map(|pair| verdict(pair[0], pair[1]))
                .collect(),
            Ok(verdicts) => Err(format!(
                "START gave {} verdicts for {} starts",
                verdicts.len() / 2,
                starts.len()
            )),
            Err(error) if is_no_permission(&error) => {
                self.fail(error.into());
                Err("the Redis user may not count starts".to_owned())
            }
            Err(error) => Err(error.to_string()),
        }
    }
}

/// One start's verdict from the `START` script (see there), with its number.
fn verdict(code: i64, number: i64) -> Result<Counted, String> {
    let number = u32::try_from(number).unwrap_or(u32::MAX);
    match code {
        0 => Ok(Counted::NotHeld),
        1 => Ok(Counted::Attempt(number)),
        2 => Ok(Counted::OutOfAttempts(number)),
        3 => Ok(Counted::Cancelled),
        _ => Err(format!("START gave an unknown verdict {code}")),
    }
}
