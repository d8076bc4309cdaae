//! Stopping a pool: the three shutdowns, and the report of what became of every job.

pub(crate) mod error;
pub(crate) mod report;
pub(crate) mod shutdown;
