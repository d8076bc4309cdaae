//! noop: 100,000 no-op jobs, fire-and-forget, 16 workers and a queue of 1,024, against the
//! channel baseline, a task per job, Semaphore + spawn and `buffer_unordered`, on every runtime.

use benches::criterion_support::{JOBS, QUEUE, WORKERS, bench, config, group};
use benches::jobs::Work;
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend, workloads};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

fn on<B: Backend>(group: &mut BenchmarkGroup<'_, WallTime>, backend: &B) {
    bench(group, backend, "pool", || {
        workloads::pool(backend.clone(), Work::Noop, JOBS, WORKERS, QUEUE)
    });
    bench(group, backend, "channel", || {
        workloads::channel(backend.clone(), Work::Noop, JOBS, WORKERS, QUEUE)
    });
    bench(group, backend, "spawn-per-job", || {
        workloads::spawn_per_job(backend.clone(), Work::Noop, JOBS)
    });
}

fn noop(criterion: &mut Criterion) {
    let mut group = group(criterion, "noop");
    let tokio = TokioBackend::new();
    on(&mut group, &tokio);
    bench(&mut group, &tokio, "semaphore-spawn", || {
        workloads::semaphore_spawn(Work::Noop, JOBS, WORKERS)
    });
    bench(&mut group, &tokio, "buffer-unordered", || {
        workloads::buffer_unordered(Work::Noop, JOBS, WORKERS)
    });
    on(&mut group, &AsyncStdBackend::new());
    on(&mut group, &SmolBackend::new());
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = noop
}
criterion_main!(benches);
