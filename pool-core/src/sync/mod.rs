//! Small synchronization helpers the rest of the crate builds on.

pub(crate) mod atomic;
pub(crate) mod lock;
#[cfg(all(test, pool_loom))]
mod loom_models;
pub(crate) mod panic;
pub(crate) mod wait_group;
