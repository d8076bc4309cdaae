//! What the benchmarks share: the runtimes (two worker threads each), the jobs, and the
//! workloads, each a function that runs `jobs` jobs to the end and returns.
//!
//! The criterion benches (`cargo bench -p benches`), the interleaved ratio runner
//! (`cargo run --release -p benches --bin ratio`) and the memory table
//! (`cargo run --release -p benches --bin memory`) all measure these same functions.

pub mod backend;
pub mod counting_alloc;
pub mod criterion_support;
pub mod jobs;
pub mod median;
pub mod peers;
pub mod workloads;

pub use backend::{AsyncStdBackend, Backend, SmolBackend, THREADS, TokioBackend};
