//! with-handles: 100,000 no-op jobs, each result awaited through its handle, against the
//! channel baseline with a oneshot per job, on every runtime.

use benches::criterion_support::{JOBS, QUEUE, WORKERS, bench, config, group};
use benches::jobs::Work;
use benches::{AsyncStdBackend, Backend, SmolBackend, TokioBackend, workloads};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};

fn on<B: Backend>(group: &mut BenchmarkGroup<'_, WallTime>, backend: &B) {
    bench(group, backend, "pool-handles", || {
        workloads::pool_with_handles(backend.clone(), Work::Noop, JOBS, WORKERS, QUEUE)
    });
    bench(group, backend, "channel-oneshot", || {
        workloads::channel_with_oneshots(backend.clone(), Work::Noop, JOBS, WORKERS, QUEUE)
    });
}

fn with_handles(criterion: &mut Criterion) {
    let mut group = group(criterion, "with-handles");
    on(&mut group, &TokioBackend::new());
    on(&mut group, &AsyncStdBackend::new());
    on(&mut group, &SmolBackend::new());
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = with_handles
}
criterion_main!(benches);
