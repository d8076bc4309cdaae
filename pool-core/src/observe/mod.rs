//! Seeing what a pool does: stats, per-worker counters, timings, metrics, the results stream.

pub(crate) mod clock;
pub(crate) mod counters;
#[cfg(feature = "metrics")]
pub(crate) mod job_histograms;
#[cfg(feature = "metrics")]
pub(crate) mod metrics;
pub(crate) mod results;
pub(crate) mod results_sink;
pub(crate) mod stats;
pub(crate) mod timings;
