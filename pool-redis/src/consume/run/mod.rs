//! Running a held entry's job: its permit, its start counted in Redis, then the job.

pub(crate) mod crash_isolation;
pub(crate) mod local_job;
pub(crate) mod start_count;
pub(crate) mod starts;
