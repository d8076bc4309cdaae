//! The Redis keys of one queue. They share one hash tag, `{name}`, so that on Redis Cluster
//! every key of a queue lives in one slot and the queue's scripts may touch them all.

/// The consumer group every consumer of a queue reads through.
pub(crate) const GROUP: &str = "workers";

/// A named queue: a stream of jobs, its dead letters, and the results of its jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    name: String,
}

impl Queue {
    /// The queue called `name`. Producers and consumers that name the same queue share it.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses a name whose keys would not share their hash tag: Redis takes the tag from
    /// the first `{` to the first `}` after it, and an empty tag counts as none, so the
    /// empty name and names starting with `}` would spread the queue over many slots.
    pub(crate) fn check(&self) -> Result<(), crate::QueueError> {
        let why = if self.name.is_empty() {
            "a queue needs a name"
        } else if self.name.starts_with('}') {
            "a name starting with '}' leaves its keys without a hash tag (Redis Cluster would spread them over several slots)"
        } else {
            return Ok(());
        };
        Err(crate::QueueError::BadQueueName {
            name: self.name.clone(),
            why,
        })
    }

    /// The stream of jobs.
    pub fn jobs_key(&self) -> String {
        format!("{{{}}}:jobs", self.name)
    }

    /// The stream of dead letters.
    pub fn dead_key(&self) -> String {
        format!("{{{}}}:dead", self.name)
    }

    /// The jobs that wait for a time (delayed, scheduled, or waiting out a retry's back-off),
    /// by job key, scored by when each is due (Unix milliseconds).
    pub fn delayed_key(&self) -> String {
        format!("{{{}}}:delayed", self.name)
    }

    /// The fields of each job in the delayed set, by job key, as its stream entry will have
    /// them (packed with Lua's `cmsgpack`, byte for byte).
    pub(crate) fn delayed_jobs_key(&self) -> String {
        format!("{{{}}}:delayed:jobs", self.name)
    }

    /// The lock a unique job's key takes: it holds the job key of the job that took it.
    pub fn unique_key(&self, unique: &str) -> String {
        format!("{{{}}}:unique:{unique}", self.name)
    }

    /// The lock each unique job holds until it finishes, by job key (jobs whose lock lasts a
    /// time are not in it: their lock expires by itself).
    pub(crate) fn unique_of_key(&self) -> String {
        format!("{{{}}}:unique_of", self.name)
    }

    /// The jobs asked to be cancelled while queued or running, by job key, scored by when
    /// (Unix ms).
    pub(crate) fn cancels_key(&self) -> String {
        format!("{{{}}}:cancels", self.name)
    }

    /// The last tick enqueued of each periodic job, by its name (Unix ms).
    pub(crate) fn periodic_key(&self) -> String {
        format!("{{{}}}:periodic", self.name)
    }

    /// The job key of periodic job `name`'s tick at `tick`: the same for every consumer that
    /// registers it, so a tick's job has one key (a version 5 UUID of the queue, the name
    /// and the tick).
    pub fn periodic_job_key(&self, name: &str, tick: std::time::SystemTime) -> uuid::Uuid {
        let tick_ms = tick
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        self.periodic_job_key_ms(name, u64::try_from(tick_ms).unwrap_or(u64::MAX))
    }

    pub(crate) fn periodic_job_key_ms(&self, name: &str, tick_ms: u64) -> uuid::Uuid {
        let name = format!("pool-redis/{}/{name}/{tick_ms}", self.name);
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes())
    }

    /// The last error of each job that failed and waits to be retried, by job key.
    pub(crate) fn errors_key(&self) -> String {
        format!("{{{}}}:errors", self.name)
    }

    /// How many times each held job has started, by job key: its attempts.
    pub(crate) fn runs_key(&self) -> String {
        format!("{{{}}}:runs", self.name)
    }

    /// The queue's totals since it was created (jobs acknowledged and dead-lettered), and how
    /// many delayed jobs are retries.
    pub(crate) fn totals_key(&self) -> String {
        format!("{{{}}}:totals", self.name)
    }

    /// Where a job's outcome is kept, if the queue keeps outcomes.
    pub fn result_key(&self, job_key: &uuid::Uuid) -> String {
        format!("{}{job_key}", self.result_prefix())
    }

    /// What every outcome's key starts with.
    pub(crate) fn result_prefix(&self) -> String {
        format!("{{{}}}:result:", self.name)
    }

    /// Why each parked entry waits (released by a stopping consumer), until a consumer takes
    /// it.
    pub(crate) fn parked_key(&self) -> String {
        format!("{{{}}}:parked", self.name)
    }

    /// Job `job_key`'s progress reports, in order (a short stream).
    pub fn progress_key(&self, job_key: &uuid::Uuid) -> String {
        format!("{}{job_key}", self.progress_prefix())
    }

    /// What every job's progress key starts with.
    pub(crate) fn progress_prefix(&self) -> String {
        format!("{{{}}}:progress:", self.name)
    }

    /// What each consumer says about itself (host, process, runtime, when it started and was
    /// last seen), by consumer name: its heartbeat, for operators.
    pub(crate) fn presence_key(&self) -> String {
        format!("{{{}}}:consumers", self.name)
    }

    /// Where a consumer's settling scripts remember their last replies.
    pub(crate) fn memo_key(&self, consumer: &str) -> String {
        format!("{{{}}}:memo:{consumer}", self.name)
    }

    /// Each rate-limited kind's bucket (GCRA: when its next start is due, Unix ms) and the
    /// last turn handed to a job over its limit, by kind.
    pub(crate) fn rate_limits_key(&self) -> String {
        format!("{{{}}}:limit:rate", self.name)
    }

    /// The running jobs of a kind with a concurrency limit, each scored by the end of its
    /// lease (Unix ms): a slot whose holder died comes free when it passes.
    pub(crate) fn running_key(&self, kind: &str) -> String {
        format!("{{{}}}:limit:running:{kind}", self.name)
    }

    /// The jobs of a kind with a concurrency limit that wait in the delayed set for a slot,
    /// by job key, scored by when they began to wait: a slot that comes free sends the first.
    pub(crate) fn slot_waiters_key(&self, kind: &str) -> String {
        format!("{{{}}}:limit:waiting:{kind}", self.name)
    }
}
