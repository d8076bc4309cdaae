//! yielding: 100,000 jobs that each yield once (a real suspension and re-schedule), the pool
//! against the channel baseline and a task per job, on every runtime.

use benches::criterion_support::{JOBS, QUEUE, WORKERS, bench, config, group};
use benches::jobs::Work;
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend, workloads};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

fn on<B: Backend>(group: &mut BenchmarkGroup<'_, WallTime>, backend: &B) {
    bench(group, backend, "pool", || {
        workloads::pool(backend.clone(), Work::Yield, JOBS, WORKERS, QUEUE)
    });
    bench(group, backend, "channel", || {
        workloads::channel(backend.clone(), Work::Yield, JOBS, WORKERS, QUEUE)
    });
    bench(group, backend, "spawn-per-job", || {
        workloads::spawn_per_job(backend.clone(), Work::Yield, JOBS)
    });
}

fn yielding(criterion: &mut Criterion) {
    let mut group = group(criterion, "yielding");
    on(&mut group, &TokioBackend::new());
    on(&mut group, &AsyncStdBackend::new());
    on(&mut group, &SmolBackend::new());
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = yielding
}
criterion_main!(benches);
