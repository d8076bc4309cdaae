//! What a job is: the [`JobProcessor`](crate::JobProcessor) trait, closure and blocking jobs,
//! the context a job runs with, and how a job can fail.

pub(crate) mod abort;
pub(crate) mod blocking;
pub(crate) mod closure;
pub(crate) mod context;
pub(crate) mod error;
pub(crate) mod id;
pub(crate) mod named_once;
pub(crate) mod pool_identity;
pub(crate) mod processor;
pub(crate) mod scope;
