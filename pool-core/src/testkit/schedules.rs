//! Randomised schedules (proptest): producers, jobs that succeed, fail, panic, sleep, ignore
//! cancellation or overrun their timeout, handles awaited, dropped or never taken, and a
//! shutdown of a random kind at a random moment. After each, every invariant of the pool is
//! checked.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures_lite::{StreamExt, future};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::testkit::{CountingExecutor, Gauge, Harness, Latch};
use crate::{
    BoxError, CancellationToken, Executor, JobContext, JobError, JobErrorKind, JobId, JobProcessor,
    WorkerPool,
};

const JOB_TIMEOUT: Duration = Duration::from_millis(15);

/// What a job does.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Succeed,
    Fail,
    Panic,
    /// Sleeps this many milliseconds, or stops early when the pool cancels.
    Sleep(u8),
    /// Sleeps this many milliseconds whatever the pool says.
    Stubborn(u8),
    /// Sleeps well past the job timeout.
    Overrun,
}

/// What the producer does with the job's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handling {
    Await,
    Drop,
    Detached,
    /// Aborted through the handle at once, then awaited.
    Abort,
}

/// How the pool is stopped.
#[derive(Clone, Copy, Debug)]
enum Stop {
    Graceful,
    Now,
    /// `shutdown_timeout` of this many milliseconds, with a grace of 1 ms.
    Timeout(u8),
    ParentCancel,
}

#[derive(Clone, Debug)]
struct Schedule {
    workers: usize,
    queue: usize,
    results: usize,
    producers: Vec<Vec<(Behaviour, Handling)>>,
    stop: Stop,
    /// Stop once this share (in percent) of the jobs has been accepted.
    stop_at_percent: u8,
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        3 => Just(Behaviour::Succeed),
        1 => Just(Behaviour::Fail),
        1 => Just(Behaviour::Panic),
        2 => (0..4_u8).prop_map(Behaviour::Sleep),
        1 => (1..10_u8).prop_map(Behaviour::Stubborn),
        1 => Just(Behaviour::Overrun),
    ]
}

fn handling() -> impl Strategy<Value = Handling> {
    prop_oneof![
        Just(Handling::Await),
        Just(Handling::Drop),
        Just(Handling::Detached),
        Just(Handling::Abort)
    ]
}

fn stop() -> impl Strategy<Value = Stop> {
    prop_oneof![
        Just(Stop::Graceful),
        Just(Stop::Now),
        (0..6_u8).prop_map(Stop::Timeout),
        Just(Stop::ParentCancel),
    ]
}

fn schedule() -> impl Strategy<Value = Schedule> {
    let jobs = proptest::collection::vec((behaviour(), handling()), 0..20);
    (
        1..5_usize,
        1..6_usize,
        1..4_usize,
        proptest::collection::vec(jobs, 1..4),
        stop(),
        0..=100_u8,
    )
        .prop_map(
            |(workers, queue, results, producers, stop, stop_at_percent)| Schedule {
                workers,
                queue,
                results,
                producers,
                stop,
                stop_at_percent,
            },
        )
}

/// What every job reports about itself, by its index in the schedule.
#[derive(Debug)]
struct Record {
    runs: Vec<AtomicUsize>,
    drops: Vec<AtomicUsize>,
    gauge: Gauge,
}

struct Probe<E> {
    index: usize,
    behaviour: Behaviour,
    record: Arc<Record>,
    executor: E,
}

impl<E> Drop for Probe<E> {
    fn drop(&mut self) {
        self.record.drops[self.index].fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl<E: Executor + Clone> JobProcessor for Probe<E> {
    type Output = u64;

    fn name(&self) -> &str {
        "probe"
    }

    async fn process(&mut self, ctx: &JobContext) -> Result<u64, BoxError> {
        self.record.runs[self.index].fetch_add(1, Ordering::SeqCst);
        let _inside = self.record.gauge.enter();
        let millis = |ms: u8| Duration::from_millis(u64::from(ms));
        match self.behaviour {
            Behaviour::Succeed => Ok(self.index as u64),
            Behaviour::Fail => Err("failed, as scheduled".into()),
            Behaviour::Panic => panic!("panicked, as scheduled"),
            Behaviour::Sleep(ms) => {
                let slept = async {
                    self.executor.sleep(millis(ms)).await;
                    Ok(self.index as u64)
                };
                let cancelled = async {
                    ctx.cancelled().await;
                    Err("cancelled".into())
                };
                future::or(slept, cancelled).await
            }
            Behaviour::Stubborn(ms) => {
                self.executor.sleep(millis(ms)).await;
                Ok(self.index as u64)
            }
            Behaviour::Overrun => {
                self.executor.sleep(JOB_TIMEOUT * 4).await;
                Ok(self.index as u64)
            }
        }
    }
}

/// The outcome's kind, to compare outcomes that are not `PartialEq`.
fn kind(outcome: &Result<u64, JobError>) -> &'static str {
    match outcome {
        Ok(_) => "completed",
        Err(error) => match error.kind() {
            JobErrorKind::Failed => "failed",
            JobErrorKind::Cancelled => "cancelled",
            JobErrorKind::Panicked => "panicked",
            JobErrorKind::TimedOut => "timed_out",
            JobErrorKind::Aborted => "aborted",
            JobErrorKind::NotStarted => "not_started",
        },
    }
}

/// What one producer saw of each job it tried to submit.
/// Per job: its index, its id if accepted, its handle's outcome if awaited, and whether its
/// handle aborted it.
type Submitted = Vec<(usize, Option<JobId>, Option<Result<u64, JobError>>, bool)>;

async fn check<H: Harness>(schedule: Schedule) {
    let total: usize = schedule.producers.iter().map(Vec::len).sum();
    let record = Arc::new(Record {
        runs: (0..total).map(|_| AtomicUsize::new(0)).collect(),
        drops: (0..total).map(|_| AtomicUsize::new(0)).collect(),
        gauge: Gauge::default(),
    });
    let executor = CountingExecutor::new(H::executor());
    let upstream = CancellationToken::new();
    let (pool, mut results) = WorkerPool::<_, u64>::with_executor(executor.clone())
        .workers(schedule.workers)
        .queue_capacity(schedule.queue)
        .job_timeout(JOB_TIMEOUT)
        .shutdown_grace(Duration::from_millis(1))
        .cancellation(upstream.clone())
        .build_with_results(schedule.results)
        .unwrap();
    let pool = Arc::new(pool);
    pool.start().unwrap();

    let stop_after = Arc::new(Latch::new(
        total * usize::from(schedule.stop_at_percent) / 100,
    ));
    let (done_tx, done_rx) = async_channel::unbounded::<Submitted>();
    let mut first_index = 0;
    for jobs in &schedule.producers {
        let (pool, record, done_tx) = (Arc::clone(&pool), Arc::clone(&record), done_tx.clone());
        let (stop_after, jobs, job_executor) =
            (Arc::clone(&stop_after), jobs.clone(), H::executor());
        let start = first_index;
        first_index += jobs.len();
        drop(H::executor().spawn(async move {
            let mut seen = Submitted::new();
            let mut awaited = Vec::new();
            for (offset, (behaviour, handling)) in jobs.into_iter().enumerate() {
                let index = start + offset;
                let job = Probe {
                    index,
                    behaviour,
                    record: Arc::clone(&record),
                    executor: job_executor.clone(),
                };
                let id = match handling {
                    Handling::Detached => pool.submit_detached(job).await.ok(),
                    Handling::Drop => pool.submit(job).await.ok().map(|handle| handle.id()),
                    Handling::Await | Handling::Abort => {
                        pool.submit(job).await.ok().map(|handle| {
                            if handling == Handling::Abort {
                                handle.abort();
                            }
                            let id = handle.id();
                            awaited.push((index, handle));
                            id
                        })
                    }
                };
                if id.is_some() {
                    stop_after.count_down();
                }
                seen.push((index, id, None, handling == Handling::Abort));
            }
            for (index, handle) in awaited {
                let outcome = handle.await;
                if let Some(entry) = seen.iter_mut().find(|entry| entry.0 == index) {
                    entry.2 = Some(outcome);
                }
            }
            let _ = done_tx.send(seen).await;
        }));
    }
    drop(done_tx);

    let reader = async move {
        let mut statuses = HashMap::new();
        while let Some(status) = results.next().await {
            assert!(
                statuses.insert(status.id, status).is_none(),
                "a status came twice"
            );
        }
        statuses
    };
    let stopper = async {
        stop_after.wait().await;
        let report = match schedule.stop {
            Stop::Graceful => pool.shutdown().await,
            Stop::Now => pool.shutdown_now().await,
            Stop::Timeout(ms) => {
                pool.shutdown_timeout(Duration::from_millis(u64::from(ms)))
                    .await
            }
            Stop::ParentCancel => {
                upstream.cancel();
                pool.shutdown().await
            }
        };
        let report = report.unwrap();
        let mut seen = Vec::new();
        while let Ok(from_one) = done_rx.recv().await {
            seen.extend(from_one);
        }
        (report, seen)
    };
    let (statuses, (report, seen)) = future::zip(reader, stopper).await;
    let stats = report.stats;
    let unstarted = report.unstarted.len();
    drop(report);
    drop(pool);
    executor.all_finished().await;

    // The books balance, and agree with each other.
    let accepted: Vec<_> = seen
        .iter()
        .filter_map(|(index, id, ..)| id.map(|id| (*index, id)))
        .collect();
    assert_eq!(stats.submitted, accepted.len() as u64, "{stats:?}");
    assert_eq!(stats.submitted, stats.finished(), "{stats:?}");
    assert_eq!(stats.not_started, unstarted as u64);
    assert_eq!(
        statuses.len(),
        accepted.len(),
        "one status per accepted job"
    );
    let ids: HashSet<JobId> = accepted.iter().map(|(_, id)| *id).collect();
    assert!(
        statuses.keys().all(|id| ids.contains(id)),
        "a status for a job never accepted"
    );
    let mut by_kind: HashMap<&str, u64> = HashMap::new();
    for status in statuses.values() {
        *by_kind.entry(kind(&status.outcome)).or_default() += 1;
    }
    let count = |name| by_kind.get(name).copied().unwrap_or(0);
    assert_eq!(
        [
            stats.completed,
            stats.failed,
            stats.cancelled,
            stats.panicked,
            stats.timed_out,
            stats.aborted,
            stats.not_started
        ],
        [
            count("completed"),
            count("failed"),
            count("cancelled"),
            count("panicked"),
            count("timed_out"),
            count("aborted"),
            count("not_started")
        ],
        "the stream and the stats disagree: {stats:?}"
    );
    // Each job: ran at most once, dropped exactly once, and never ran iff it was handed back
    // or (only if its handle asked) aborted before it started.
    for (index, id, outcome, aborted_by_handle) in &seen {
        let runs = record.runs[*index].load(Ordering::SeqCst);
        assert!(runs <= 1, "job {index} ran {runs} times");
        assert_eq!(
            record.drops[*index].load(Ordering::SeqCst),
            1,
            "job {index} drops"
        );
        let Some(id) = id else {
            assert_eq!(runs, 0, "a refused job ran");
            continue;
        };
        let status = &statuses[id];
        // (A job aborted by its handle after it started can still be aborted again by a
        // shutdown deadline: "aborted" says nothing of whether it ran.)
        let handed_back = kind(&status.outcome) == "not_started";
        let aborted_unstarted = *aborted_by_handle && kind(&status.outcome) == "aborted";
        if handed_back {
            assert_eq!(
                runs, 0,
                "job {index} was handed back after it ran: {status:?}"
            );
        }
        if runs == 0 {
            assert!(
                handed_back || aborted_unstarted,
                "job {index} never ran: {status:?}"
            );
        }
        if let Some(outcome) = outcome {
            assert_eq!(
                kind(outcome),
                kind(&status.outcome),
                "the handle and the stream disagree"
            );
        }
    }
    assert!(
        record.gauge.max() <= schedule.workers,
        "{} jobs ran at once",
        record.gauge.max()
    );
    assert_eq!(executor.live(), 0, "a pool task outlived the shutdown");
}

/// Runs [`check`] on many random schedules, each under [`CASE_DEADLINE`](crate::testkit::CASE_DEADLINE).
pub fn random_schedules<H: Harness>() {
    let config = Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&schedule(), |schedule| {
        crate::testkit::run::<H>(check::<H>(schedule));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
