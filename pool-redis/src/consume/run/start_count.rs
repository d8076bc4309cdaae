//! Counting a batch of job starts in Redis: one `START` script call (see `starts`).

use pool_core::Executor;
use uuid::Uuid;

use crate::consume::state::ConsumerState;
use crate::error::is_no_permission;
use crate::store::queue::GROUP;
use crate::store::scripts;

impl<E: Executor> ConsumerState<E> {
    /// One round trip: the count of each start (entry id, job key, attempts allowed) in
    /// `starts`, in its order. A permission refused stops the consumer.
    pub(crate) async fn count_starts(
        &self,
        starts: Vec<(String, Uuid, u32)>,
    ) -> Result<Vec<i64>, String> {
        let mut invocation = scripts::START.prepare_invoke();
        invocation
            .key(self.queue.runs_key())
            .key(self.queue.jobs_key())
            .arg(GROUP)
            .arg(&self.name);
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
            Ok(counts) if counts.len() == starts.len() => Ok(counts),
            Ok(counts) => Err(format!(
                "START counted {} starts of {}",
                counts.len(),
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
