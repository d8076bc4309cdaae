//! Limits on how many jobs of a kind start: a rate and a concurrency across every consumer
//! of a queue, asked of Redis as each job is about to start.

pub(crate) mod admission;
pub(crate) mod kind_limit;
pub(crate) mod rate_limit;
