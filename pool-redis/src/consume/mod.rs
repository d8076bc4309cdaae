//! A consumer: reads entries into a local pool, holds them under lease while they wait and
//! run, and settles each by its outcome.

pub(crate) mod batched;
pub(crate) mod builder;
pub(crate) mod config;
pub(crate) mod consumer;
pub(crate) mod core;
pub(crate) mod hold;
pub(crate) mod join_all;
pub(crate) mod limit;
#[cfg(feature = "metrics")]
pub(crate) mod metrics;
pub(crate) mod periodic;
pub(crate) mod presence;
pub(crate) mod queue_state;
pub(crate) mod queues;
pub(crate) mod read;
pub(crate) mod run;
pub(crate) mod settle;
pub(crate) mod stats;
pub(crate) mod with_retries;
