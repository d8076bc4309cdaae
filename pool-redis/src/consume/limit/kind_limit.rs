//! The limits set on one kind of job.

use crate::consume::limit::rate_limit::RateLimit;

/// The limits of one kind of job, across every consumer of the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KindLimit {
    pub(crate) rate: Option<RateLimit>,
    /// The most jobs of the kind running at once.
    pub(crate) concurrency: Option<u32>,
}
