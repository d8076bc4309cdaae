//! The runtime boundary: what a backend provides ([`Executor`](crate::Executor)), and the
//! runtime-free parts every runtime shares: cancellation, timers, blocking work.

pub(crate) mod blocking;
pub(crate) mod cancellation;
pub(crate) mod executor;
pub(crate) mod timer;
