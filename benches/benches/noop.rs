//! noop: 100,000 no-op jobs, fire-and-forget, 16 workers and a queue of 1,024, against the
//! channel baseline and a task per job on every runtime; on tokio also Semaphore + spawn,
//! `buffer_unordered`, and the peer crates (JoinSet + Semaphore, tokio-task-pool, deadqueue,
//! orb with boxed jobs).

use benches::criterion_support::{JOBS, QUEUE, WORKERS, bench, config, group, pool_channel_spawn};
use benches::jobs::Work;
use benches::{AsyncStdBackend, SmolBackend, TokioBackend, peers, workloads};
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
    bench(&mut group, &tokio, "joinset-semaphore", || {
        peers::join_set_semaphore(Work::Noop, JOBS, WORKERS)
    });
    bench(&mut group, &tokio, "tokio-task-pool", || {
        peers::tokio_task_pool(Work::Noop, JOBS, WORKERS)
    });
    bench(&mut group, &tokio, "deadqueue", || {
        peers::deadqueue(tokio.clone(), Work::Noop, JOBS, WORKERS, QUEUE)
    });
    bench(&mut group, &tokio, "orb-boxed", || async {
        let exec = orb_tokio::TokioExec::new_with_handle(tokio::runtime::Handle::current());
        peers::orb::<orb_tokio::TokioRT, _>(exec, JOBS, WORKERS, QUEUE, || {
            peers::Boxed(Work::Noop.boxed())
        })
        .await;
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
