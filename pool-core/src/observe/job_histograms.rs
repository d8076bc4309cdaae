//! Each job's queue wait and run time, recorded as it happens into the `metrics` histograms
//! (feature `metrics`, with timings on).

use std::time::Duration;

use metrics::{Histogram, histogram};

/// One worker's handles on the per-job histograms.
pub(crate) struct JobHistograms {
    queue_wait: Histogram,
    run: Histogram,
}

impl JobHistograms {
    pub(crate) fn new(pool: &str) -> Self {
        Self {
            queue_wait: histogram!("pool_job_queue_wait_seconds", "pool" => pool.to_owned()),
            run: histogram!("pool_job_run_seconds", "pool" => pool.to_owned()),
        }
    }

    pub(crate) fn record(&self, queue_wait: Duration, run: Duration) {
        self.queue_wait.record(queue_wait.as_secs_f64());
        self.run.record(run.as_secs_f64());
    }
}
