//! The criterion side: one configuration, and one way to time a workload on a runtime.

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};

use crate::backend::Backend;
use crate::jobs::Work;
use crate::workloads;

/// Jobs per iteration, in every group.
pub const JOBS: usize = 100_000;
/// Workers in every pool (and worker tasks in every channel baseline), unless the group
/// varies it.
pub const WORKERS: usize = 16;
/// Queue capacity in every pool and channel baseline.
pub const QUEUE: usize = 1_024;

/// Few, long samples: each iteration is already 100,000 jobs, and the whole suite must run in
/// minutes on 2 cores. `cargo bench -p benches -- --quick` cuts it further.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// A group whose throughput is counted in jobs.
pub fn group<'a>(criterion: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = criterion.benchmark_group(name);
    group.throughput(Throughput::Elements(JOBS as u64));
    group
}

/// Times `workload` on `backend` as `<runtime>/<approach>`. The workload runs as a task on
/// the runtime ([`Backend::run`]; criterion 0.8 has no async-std adapter, so every runtime
/// goes this way).
pub fn bench<B: Backend, F, Fut>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    backend: &B,
    approach: &str,
    workload: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    group.bench_function(format!("{}/{approach}", B::NAME), |bencher| {
        bencher.iter_custom(|iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                backend.run(workload());
            }
            started.elapsed()
        });
    });
}

/// The three approaches every runtime has, timed for `work`: the pool, the channel baseline,
/// and a task per job.
pub fn pool_channel_spawn<B: Backend>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    backend: &B,
    work: Work,
) {
    bench(group, backend, "pool", || {
        workloads::pool(backend.clone(), work, JOBS, WORKERS, QUEUE)
    });
    if work == Work::Noop {
        // What timings cost per job: the same pool, keeping queue-wait and run-time
        // histograms.
        bench(group, backend, "pool-timed", || {
            workloads::pool_timed(backend.clone(), JOBS, WORKERS, QUEUE)
        });
    }
    bench(group, backend, "channel", || {
        workloads::channel(backend.clone(), work, JOBS, WORKERS, QUEUE)
    });
    bench(group, backend, "spawn-per-job", || {
        backend.spawn_each(work, JOBS)
    });
}
