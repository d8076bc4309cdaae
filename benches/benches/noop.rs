//! noop: 100,000 no-op jobs, fire-and-forget, 16 workers and a queue of 1,024, against the
//! channel baseline, a task per job, Semaphore + spawn and `buffer_unordered`, on every runtime.

use benches::criterion_support::{JOBS, WORKERS, bench, config, group, pool_channel_spawn};
use benches::jobs::Work;
use benches::{AsyncStdBackend, SmolBackend, TokioBackend, workloads};
use criterion::{Criterion, criterion_group, criterion_main};

fn noop(criterion: &mut Criterion) {
    let mut group = group(criterion, "noop");
    let tokio = TokioBackend::new();
    pool_channel_spawn(&mut group, &tokio, Work::Noop);
    bench(&mut group, &tokio, "semaphore-spawn", || {
        workloads::semaphore_spawn(Work::Noop, JOBS, WORKERS)
    });
    bench(&mut group, &tokio, "buffer-unordered", || {
        workloads::buffer_unordered(Work::Noop, JOBS, WORKERS)
    });
    pool_channel_spawn(&mut group, &AsyncStdBackend::new(), Work::Noop);
    pool_channel_spawn(&mut group, &SmolBackend::new(), Work::Noop);
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = noop
}
criterion_main!(benches);
