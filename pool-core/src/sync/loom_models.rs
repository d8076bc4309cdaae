//! Model checks, with loom, of the two pieces of lock-free code whose correctness rests on
//! memory orderings: the roster's fence protocol (an elastic pool never leaves a queued job
//! with no worker and nobody growing) and the single-writer worker counters (a stats snapshot
//! never shows a job finished that it does not show started).
//!
//! Run with (a separate target dir: every crate is rebuilt with the cfg):
//!
//! ```text
//! RUSTFLAGS="--cfg pool_loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p pool-core --lib --release loom_models
//! ```
//!
//! What they cover: every interleaving (and, for loom's relaxed atomics, every value a load may
//! see) of the two threads each model runs, with loom's default bound on preemptions. What
//! they do not: the channel itself (async-channel's own orderings, modelled here as one
//! SeqCst counter), wakers, and more than two threads at once.

use std::time::Duration;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};

use crate::PoolStats;
use crate::observe::counters::WorkerCounters;
use crate::run::roster::Roster;

/// A worker of an elastic pool idles past its timeout and leaves its seat just as a job is
/// queued: the submitter, which looks after its send, or the leaving worker, which looks
/// after giving its seat up, must see that a worker is wanted.
#[test]
fn loom_models_an_elastic_pool_never_strands_a_queued_job() {
    loom::model(|| {
        let roster = Arc::new(Roster::new(1, 1, 1, Some(Duration::from_secs(1))));
        assert!(roster.take(0));
        let idling = roster.idling();
        // Stands for the queue's length, with no more ordering than a channel's release on
        // send and acquire on look (weaker than async-channel's, so the fence must do the
        // work).
        let queued = Arc::new(AtomicUsize::new(0));
        let grown = Arc::new(AtomicBool::new(false));

        let submitter = {
            let (roster, queued, grown) = (roster.clone(), queued.clone(), grown.clone());
            loom::thread::spawn(move || {
                queued.fetch_add(1, Release);
                // `PoolState::grow_if_jobs_wait`, on the submitter's side.
                if roster.should_grow() && queued.load(Acquire) > 0 {
                    grown.store(true, SeqCst);
                }
            })
        };
        // The worker: its idle timeout passed without its seeing the job.
        drop(idling);
        roster.leave(0);
        // `after_leaving`.
        if roster.should_grow() && queued.load(Acquire) > 0 {
            grown.store(true, SeqCst);
        }
        submitter.join().unwrap();

        assert!(
            grown.load(SeqCst),
            "a job is queued, no worker is left, and nobody grew the pool"
        );
    });
}

/// A worker runs a job from start to outcome while a reader takes a snapshot: whatever the
/// reader sees, the job is not finished unless it is started.
#[test]
fn loom_models_a_snapshot_never_shows_a_job_finished_before_started() {
    loom::model(|| {
        let counters = Arc::new(WorkerCounters::default());
        let worker = {
            let counters = counters.clone();
            loom::thread::spawn(move || {
                counters.started();
                counters.finished::<()>(&Ok(()));
            })
        };
        let mut stats = PoolStats::default();
        counters.add_to(&mut stats);
        assert!(
            stats.completed <= stats.started,
            "completed {} > started {}",
            stats.completed,
            stats.started
        );
        worker.join().unwrap();
    });
}
