//! yielding: 100,000 jobs that each yield once (a real suspension and re-schedule), the pool
//! against the channel baseline and a task per job, on every runtime.

use benches::criterion_support::{config, group, pool_channel_spawn};
use benches::jobs::Work;
use benches::{AsyncStdBackend, SmolBackend, TokioBackend};
use criterion::{Criterion, criterion_group, criterion_main};

fn yielding(criterion: &mut Criterion) {
    let mut group = group(criterion, "yielding");
    pool_channel_spawn(&mut group, &TokioBackend::new(), Work::Yield);
    pool_channel_spawn(&mut group, &AsyncStdBackend::new(), Work::Yield);
    pool_channel_spawn(&mut group, &SmolBackend::new(), Work::Yield);
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = yielding
}
criterion_main!(benches);
