//! Each queue's throughput over the last minutes: the acknowledged and dead-lettered totals
//! sampled every few seconds by the dashboard (consumers report nothing for it), and the
//! rates between samples.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often the totals are sampled.
pub(super) const PERIOD: Duration = Duration::from_secs(2);

/// Samples kept per queue: ten minutes.
const KEPT: usize = 300;

/// Totals sampled per queue.
#[derive(Debug, Default)]
pub(super) struct Rates {
    samples: Mutex<HashMap<String, VecDeque<Sample>>>,
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Instant,
    acknowledged: u64,
    dead_lettered: u64,
}

impl Rates {
    /// Notes `queue`'s totals now.
    pub(super) fn note(&self, queue: &str, acknowledged: u64, dead_lettered: u64) {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = samples.entry(queue.to_owned()).or_default();
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(Sample {
            at: Instant::now(),
            acknowledged,
            dead_lettered,
        });
    }

    /// `queue`'s acknowledged jobs per second between consecutive samples, oldest first.
    pub(super) fn acknowledged_per_second(&self, queue: &str) -> Vec<f64> {
        self.series(queue, |sample| sample.acknowledged)
    }

    /// `queue`'s dead-lettered jobs per second between consecutive samples, oldest first.
    pub(super) fn dead_lettered_per_second(&self, queue: &str) -> Vec<f64> {
        self.series(queue, |sample| sample.dead_lettered)
    }

    fn series(&self, queue: &str, total: impl Fn(&Sample) -> u64) -> Vec<f64> {
        let samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(kept) = samples.get(queue) else {
            return Vec::new();
        };
        kept.iter()
            .zip(kept.iter().skip(1))
            .map(|(before, after)| {
                let seconds = after.at.duration_since(before.at).as_secs_f64().max(1e-3);
                #[allow(clippy::cast_precision_loss)]
                let done = total(after).saturating_sub(total(before)) as f64;
                done / seconds
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Rates;

    #[test]
    fn rates_are_the_differences_between_samples() {
        let rates = Rates::default();
        assert!(rates.acknowledged_per_second("q").is_empty());
        rates.note("q", 0, 0);
        std::thread::sleep(std::time::Duration::from_millis(10));
        rates.note("q", 100, 1);
        let series = rates.acknowledged_per_second("q");
        assert_eq!(series.len(), 1);
        assert!(series[0] > 0.0);
        assert_eq!(rates.dead_lettered_per_second("q").len(), 1);
        assert!(rates.acknowledged_per_second("other").is_empty());
    }
}
