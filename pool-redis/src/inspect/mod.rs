//! Looking at a queue from outside: its numbers in one snapshot, and its dead letters.

pub(crate) mod dead_letter;
pub(crate) mod dead_letters;
pub(crate) mod queue_stats;
