//! Running jobs: the workers, their seats, resizing, and what each worker keeps.

pub(crate) mod error;
pub(crate) mod execute;
pub(crate) mod job_future;
pub(crate) mod per_worker;
pub(crate) mod resize;
pub(crate) mod roster;
pub(crate) mod running;
pub(crate) mod worker;
