//! Small synchronization helpers the rest of the crate builds on.

pub(crate) mod lock;
pub(crate) mod panic;
pub(crate) mod wait_group;
