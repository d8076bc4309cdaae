//! What a remote job is: the trait a job type implements, the registry a consumer decodes
//! entries with, the outcome a producer may read, how failed runs are retried, and the state
//! a consumer's jobs share.

pub(crate) mod middleware;
pub(crate) mod outcome;
pub(crate) mod progress;
pub(crate) mod registry;
pub(crate) mod remote_job;
pub(crate) mod retry_policy;
pub(crate) mod schedule;
pub(crate) mod shared_data;
