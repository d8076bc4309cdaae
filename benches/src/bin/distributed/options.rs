//! The runner's flags.

use crate::system::System;

/// What to measure, and how often.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct Options {
    /// Jobs per run.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) jobs: usize,
    /// Rounds of the whole sequence.
    #[arg(long, default_value_t = 3)]
    pub(crate) rounds: usize,
    /// Consumer processes per setup, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_usize, 2, 4])]
    pub(crate) consumers: Vec<usize>,
    /// Read batches per setup, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_usize, 10, 100])]
    pub(crate) batches: Vec<usize>,
    /// Each job's work in ms, comma-separated (0: no-op).
    #[arg(long = "job-ms", value_delimiter = ',', default_values_t = [0_u64, 1])]
    pub(crate) work_ms: Vec<u64>,
    /// Jobs at once per consumer process.
    #[arg(long, default_value_t = 32)]
    pub(crate) workers: usize,
    /// The queues to measure, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = parse_system, default_values = ["pool-redis", "apalis-redis"])]
    pub(crate) systems: Vec<System>,
    /// Pins Redis to CPU 0 and every client process to CPU 1 (`taskset`), so that Redis has
    /// a core of its own.
    #[arg(long)]
    pub(crate) pin: bool,
    /// For `latency`: the arrival rates, in jobs/s, comma-separated (default: 50 % and 90 %
    /// of the slowest queue's capacity, measured first).
    #[arg(long, value_delimiter = ',')]
    pub(crate) rates: Vec<f64>,
    /// For `memory`: the stream lengths a consumer drains, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000_usize, 100_000, 1_000_000])]
    pub(crate) lengths: Vec<usize>,
}

fn parse_system(name: &str) -> Result<System, String> {
    System::parse(name).ok_or_else(|| {
        let known: Vec<&str> = System::ALL.iter().map(|system| system.name()).collect();
        format!("unknown queue {name:?}: one of {}", known.join(", "))
    })
}
