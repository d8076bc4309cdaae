//! The runner's flags.

use crate::system::System;

/// What to measure, and how often.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) jobs: usize,
    pub(crate) rounds: usize,
    pub(crate) consumers: Vec<usize>,
    pub(crate) batches: Vec<usize>,
    pub(crate) work_ms: Vec<u64>,
    pub(crate) workers: usize,
    pub(crate) systems: Vec<System>,
    /// For `memory`: the stream lengths a consumer drains.
    pub(crate) lengths: Vec<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            jobs: 20_000,
            rounds: 3,
            consumers: vec![1, 2, 4],
            batches: vec![1, 10, 100],
            work_ms: vec![0, 1],
            workers: 32,
            systems: System::ALL.to_vec(),
            lengths: vec![10_000, 100_000, 1_000_000],
        }
    }
}

impl Options {
    /// Parses `--flag value` pairs; lists are comma-separated.
    pub(crate) fn parse(args: &[String]) -> Self {
        let mut options = Self::default();
        for pair in args.chunks(2) {
            let (flag, value) = (pair[0].as_str(), pair.get(1).map_or("", String::as_str));
            match flag {
                "--jobs" => options.jobs = number(flag, value),
                "--rounds" => options.rounds = number(flag, value),
                "--consumers" => options.consumers = list(flag, value),
                "--batches" => options.batches = list(flag, value),
                "--job-ms" => options.work_ms = list(flag, value),
                "--workers" => options.workers = number(flag, value),
                "--lengths" => options.lengths = list(flag, value),
                "--systems" => {
                    options.systems = value
                        .split(',')
                        .map(|name| System::parse(name).unwrap_or_else(|| usage(flag)))
                        .collect();
                }
                _ => usage(flag),
            }
        }
        options
    }
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value.parse().unwrap_or_else(|_| usage(flag))
}

fn list<T: std::str::FromStr>(flag: &str, value: &str) -> Vec<T> {
    value.split(',').map(|item| number(flag, item)).collect()
}

fn usage(flag: &str) -> ! {
    eprintln!(
        "bad or unknown flag {flag}; flags: --jobs N --rounds N --consumers 1,2,4 \
         --batches 1,10,100 --job-ms 0,1 --workers N --systems pool-redis,apalis-redis \
         (memory: --lengths 10000,100000)"
    );
    std::process::exit(2)
}
