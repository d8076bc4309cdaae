//! Getting jobs in and their outcomes out: the intake, the queue's envelope, handles and job
//! sets, and the errors of a refused job.

pub(crate) mod accepted_counts;
pub(crate) mod enqueue;
pub(crate) mod envelope;
pub(crate) mod error;
pub(crate) mod handle;
pub(crate) mod intake;
pub(crate) mod job_set;
pub(crate) mod outcome_slot;
pub(crate) mod own_jobs;
pub(crate) mod reply;
pub(crate) mod set_link;
