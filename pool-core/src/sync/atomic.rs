//! The atomics of the roster and the worker counters, from `loom` when the crate is built
//! for model checking (`--cfg pool_loom`, see `sync/loom_models.rs`) and from `std`
//! otherwise: the same code is what loom checks and what runs.

#[cfg(pool_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, fence};
#[cfg(not(pool_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, fence};
