//! Looking at queues from outside: which there are, each one's numbers in one snapshot,
//! its consumers' heartbeats, where a job is, and the dead letters.

pub(crate) mod dead_letter;
pub(crate) mod dead_letters;
pub(crate) mod inspector;
pub(crate) mod presence;
pub(crate) mod queue_stats;
pub(crate) mod whereabouts;
