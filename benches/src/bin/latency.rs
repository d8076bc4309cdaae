//! latency: how long a job waits before it starts, measured from its *scheduled* arrival (no
//! coordinated omission), for the pool and the approaches a tokio user would pick instead.
//!
//! Each job spins for 100 µs. First every approach runs 20,000 jobs as fast as it can; the
//! slowest rate is the capacity. Then a producer on its own thread (as a load generator such
//! as wrk2 does: an open loop, never slowed by the system it measures) schedules jobs at 50 %
//! and 90 % of that capacity, and each job records when it started. Rounds interleave the
//! approaches; the table gives the median over rounds of each percentile.
//!
//! `cargo run --release -p benches --bin latency -- [--rounds 3] [--seconds 2] [--approaches pool,channel] [--loads 0.5,0.9]`
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use benches::criterion_support::{QUEUE, WORKERS};
use benches::median::median;
use benches::{Backend, TokioBackend};
use orb::worker_pool::{Worker, WorkerAsync, WorkerPoolBounded};
use pool_core::{TrySubmitError, WorkerPool, job_fn};

/// How long each job keeps its core.
const BUSY: Duration = Duration::from_micros(100);

/// When each job started, in nanoseconds after its scheduled arrival.
struct Recorder {
    origin: Instant,
    waited_ns: Vec<AtomicU64>,
    done: AtomicUsize,
}

impl Recorder {
    fn new(jobs: usize) -> Arc<Self> {
        Arc::new(Self {
            origin: Instant::now(),
            waited_ns: (0..jobs).map(|_| AtomicU64::new(0)).collect(),
            done: AtomicUsize::new(0),
        })
    }

    /// The job `index`, scheduled at `scheduled_ns` after the origin, starts now: record it,
    /// then keep the core for [`BUSY`].
    fn run(&self, index: usize, scheduled_ns: u64) {
        let now = self.origin.elapsed().as_nanos() as u64;
        self.waited_ns[index].store(now.saturating_sub(scheduled_ns), Relaxed);
        let until = Instant::now() + BUSY;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        self.done.fetch_add(1, Relaxed);
    }

    /// Waits (this is a benchmark: polling is fine) until every job ran.
    fn wait_all(&self) {
        while self.done.load(Relaxed) < self.waited_ns.len() {
            thread::sleep(Duration::from_micros(200));
        }
    }

    /// p50, p99, p999 and max, in microseconds.
    fn percentiles(&self) -> [f64; 4] {
        let mut waited: Vec<u64> = self.waited_ns.iter().map(|w| w.load(Relaxed)).collect();
        waited.sort_unstable();
        let at = |q: f64| waited[((waited.len() - 1) as f64 * q) as usize] as f64 / 1e3;
        [at(0.50), at(0.99), at(0.999), at(1.0)]
    }
}

/// A job as each approach takes it: run it to record its start.
type Probe = Box<dyn FnOnce() + Send>;

/// Where the producer puts jobs: one per approach.
trait Intake {
    fn put(&mut self, probe: Probe);
    /// Ends the intake: what is queued still runs.
    fn close(self: Box<Self>);
}

struct Pool(WorkerPool<pool_tokio::TokioExecutor, ()>);

impl Intake for Pool {
    fn put(&mut self, probe: Probe) {
        let job = job_fn("probe", move |_ctx| async move {
            probe();
            Ok(())
        });
        // As a thread outside the runtime submits: without waiting while there is room.
        match self.0.try_submit_detached(job) {
            Ok(_) => {}
            Err(TrySubmitError::Full(job)) => {
                if futures_lite_block_on(self.0.submit_detached(job)).is_err() {
                    unreachable!("the pool is open");
                }
            }
            Err(TrySubmitError::Closed(_)) => unreachable!("the pool is open"),
        }
    }

    fn close(self: Box<Self>) {
        futures_lite_block_on(self.0.shutdown()).expect("the first shutdown");
    }
}

/// The hand-written baseline: `WORKERS` tasks over a bounded async-channel.
struct Channel(async_channel::Sender<Probe>);

impl Intake for Channel {
    fn put(&mut self, probe: Probe) {
        self.0.send_blocking(probe).expect("workers are alive");
    }

    fn close(self: Box<Self>) {}
}

/// tokio's `JoinSet` bounded by a `Semaphore`.
struct JoinSetSemaphore {
    runtime: tokio::runtime::Handle,
    semaphore: Arc<tokio::sync::Semaphore>,
    set: tokio::task::JoinSet<()>,
}

impl Intake for JoinSetSemaphore {
    fn put(&mut self, probe: Probe) {
        let permit = self
            .runtime
            .block_on(Arc::clone(&self.semaphore).acquire_owned())
            .expect("never closed");
        self.set.spawn_on(
            async move {
                probe();
                drop(permit);
            },
            &self.runtime,
        );
        while self.set.try_join_next().is_some() {}
    }

    fn close(self: Box<Self>) {}
}

/// orb's bounded pool, with boxed jobs.
#[derive(Clone)]
struct OrbProbe;

impl Worker for OrbProbe {
    type Msg = Probe;
}

impl WorkerAsync for OrbProbe {
    fn run(&self, probe: Probe) -> impl Future<Output = ()> + Send {
        probe();
        async {}
    }
}

struct Orb(WorkerPoolBounded<Probe>);

impl Intake for Orb {
    fn put(&mut self, probe: Probe) {
        self.0.submit(probe);
    }

    fn close(self: Box<Self>) {}
}

fn futures_lite_block_on<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

const APPROACHES: [&str; 4] = ["pool", "channel", "joinset-semaphore", "orb-boxed"];

fn intake(approach: &str, backend: &TokioBackend) -> Box<dyn Intake> {
    let runtime = backend.block_on(async { tokio::runtime::Handle::current() });
    match approach {
        "pool" => {
            let pool = WorkerPool::with_executor(backend.executor())
                .workers(WORKERS)
                .queue_capacity(QUEUE)
                .build()
                .expect("a valid pool");
            pool.start().expect("a fresh pool starts");
            Box::new(Pool(pool))
        }
        "channel" => {
            let (sender, receiver) = async_channel::bounded::<Probe>(QUEUE);
            for _ in 0..WORKERS {
                let receiver = receiver.clone();
                drop(backend.spawn(async move {
                    while let Ok(probe) = receiver.recv().await {
                        probe();
                    }
                }));
            }
            Box::new(Channel(sender))
        }
        "joinset-semaphore" => Box::new(JoinSetSemaphore {
            runtime,
            semaphore: Arc::new(tokio::sync::Semaphore::new(WORKERS)),
            set: tokio::task::JoinSet::new(),
        }),
        "orb-boxed" => {
            let exec = orb_tokio::TokioExec::new_with_handle(runtime);
            Box::new(Orb(WorkerPoolBounded::builder(OrbProbe, WORKERS)
                .new_async::<orb_tokio::TokioRT>(QUEUE, Some(exec))))
        }
        other => unreachable!("unknown approach {other}"),
    }
}

/// Runs `jobs` jobs through `approach`, the `i`th scheduled at `i * gap` (all at once for a
/// zero gap); returns the recorder and how long it all took.
fn run(
    approach: &str,
    backend: &TokioBackend,
    jobs: usize,
    gap: Duration,
) -> (Arc<Recorder>, Duration) {
    let mut intake = intake(approach, backend);
    let recorder = Recorder::new(jobs);
    let started = Instant::now();
    for index in 0..jobs {
        let scheduled = gap * index as u32;
        let now = recorder.origin.elapsed();
        if scheduled > now {
            thread::sleep(scheduled - now);
        }
        let scheduled_ns = scheduled.as_nanos() as u64;
        let recorder = Arc::clone(&recorder);
        intake.put(Box::new(move || recorder.run(index, scheduled_ns)));
    }
    recorder.wait_all();
    let took = started.elapsed();
    intake.close();
    (recorder, took)
}

/// Open-loop latency, submit to start, at fixed arrival rates: each approach at a share of
/// the slowest one's capacity.
#[derive(clap::Parser)]
#[command(name = "latency")]
struct Flags {
    /// Rounds per load.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of arrivals per round.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// The approaches to measure, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(APPROACHES))]
    approaches: Vec<String>,
    /// Arrival rates as shares of the capacity, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [0.5, 0.9])]
    loads: Vec<f64>,
}

fn main() {
    let flags = <Flags as clap::Parser>::parse();
    let (rounds, seconds, loads) = (flags.rounds, flags.seconds, flags.loads);
    let approaches: Vec<&str> = APPROACHES
        .into_iter()
        .filter(|approach| {
            flags.approaches.is_empty() || flags.approaches.iter().any(|wanted| wanted == approach)
        })
        .collect();
    let backend = TokioBackend::new();
    let capacity = APPROACHES
        .iter()
        .map(|approach| {
            let jobs = 20_000;
            let (_, took) = run(approach, &backend, jobs, Duration::ZERO);
            jobs as f64 / took.as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "tokio, {} threads; {WORKERS} at once, queue {QUEUE}; jobs busy {BUSY:?}; capacity {capacity:.0} jobs/s (the slowest approach's, closed loop); {rounds} rounds of {seconds} s per load",
        benches::THREADS
    );
    for load in loads {
        let rate = capacity * load;
        let gap = Duration::from_secs_f64(1.0 / rate);
        let jobs = (rate * seconds) as usize;
        let mut measured: Vec<Vec<[f64; 4]>> = vec![Vec::new(); approaches.len()];
        for round in 0..rounds {
            for turn in 0..approaches.len() {
                let slot = (round + turn) % approaches.len();
                let (recorder, _) = run(approaches[slot], &backend, jobs, gap);
                measured[slot].push(recorder.percentiles());
            }
        }
        println!(
            "\n{:.0} % load ({rate:.0} jobs/s, {jobs} jobs per run); pickup latency, µs\n",
            load * 100.0
        );
        println!("| approach | p50 | p99 | p999 | max |\n|---|---|---|---|---|");
        for (approach, runs) in approaches.iter().zip(&measured) {
            let at = |i: usize| {
                median(&runs.iter().map(|p| p[i]).collect::<Vec<_>>()).unwrap_or(f64::NAN)
            };
            println!(
                "| {approach} | {:.0} | {:.0} | {:.0} | {:.0} |",
                at(0),
                at(1),
                at(2),
                at(3)
            );
        }
    }
}
