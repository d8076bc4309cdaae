//! The dashboard's pages, one per file.

pub(super) mod dead_letter;
pub(super) mod dead_letters;
pub(super) mod job;
pub(super) mod overview;
pub(super) mod queue;
