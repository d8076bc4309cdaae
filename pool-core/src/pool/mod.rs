//! The pool itself: its builder, the handle callers hold, and the state its workers share.

pub(crate) mod builder;
pub(crate) mod error;
pub(crate) mod lifecycle;
pub(crate) mod state;
pub(crate) mod worker_pool;
