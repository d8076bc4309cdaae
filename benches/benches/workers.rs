//! workers: the tokio pool with 1, 16, 256 and 4,096 workers on 100,000 no-op jobs: does it
//! scale with its team, or thrash?

use benches::criterion_support::{JOBS, QUEUE, bench, config, group};
use benches::jobs::Work;
use benches::{TokioBackend, workloads};
use criterion::{Criterion, criterion_group, criterion_main};

fn workers(criterion: &mut Criterion) {
    let mut group = group(criterion, "workers");
    let tokio = TokioBackend::new();
    for workers in [1, 16, 256, 4_096] {
        bench(&mut group, &tokio, &format!("pool-{workers}"), || {
            workloads::pool(tokio.clone(), Work::Noop, JOBS, workers, QUEUE)
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = workers
}
criterion_main!(benches);
