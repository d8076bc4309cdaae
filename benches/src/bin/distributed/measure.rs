//! One measurement: consumer processes started and ready, then a producer process started
//! alongside them; timed from the producer's first enqueue until Redis records the last job
//! done.

use std::time::{Duration, Instant};

use crate::child::ChildProcess;
use crate::process::cpu_seconds;
use crate::server::{Info, Server};
use crate::system::{ConsumerSpec, Load, System};

/// How often the runner asks Redis how many jobs are done.
const POLL_EVERY: Duration = Duration::from_millis(2);
/// A run that takes longer has hung: the runner says which.
const TIMEOUT: Duration = Duration::from_secs(600);
const QUEUE: &str = "bench";

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Setup {
    pub(crate) system: System,
    pub(crate) consumers: usize,
    pub(crate) batch: usize,
    pub(crate) work_ms: u64,
    pub(crate) jobs: usize,
    pub(crate) workers: usize,
}

impl Setup {
    /// What its producer enqueues.
    pub(crate) fn load(self) -> Load {
        Load::plain(self.jobs, self.work_ms)
    }

    /// This setup as `system` is measured: a queue that reads one job at a time only at the
    /// first batch asked for.
    pub(crate) fn for_system(self, system: System, options: &crate::options::Options) -> Self {
        let batch = if system.reads_batches() {
            self.batch
        } else {
            options.batches[0]
        };
        Self {
            system,
            batch,
            ..self
        }
    }
}

/// What one run gave.
#[derive(Clone, Debug)]
pub(crate) struct Measured {
    pub(crate) jobs_per_second: f64,
    /// The server's CPU over the run, in cores (1.0: its one thread never rested).
    pub(crate) redis_cores: f64,
    /// Microseconds of CPU per job: the server's, all consumers', the producer's.
    pub(crate) redis_us: f64,
    pub(crate) consumers_us: f64,
    pub(crate) producer_us: f64,
    /// The largest consumer process's resident memory at the end of the run, in MiB.
    pub(crate) consumer_rss_mib: f64,
    /// Per command: calls per job and server microseconds per job, most costly first.
    pub(crate) commands: Vec<(String, f64, f64)>,
}

/// Runs `setup` once on `server`; an error if a consumer process died (what it said is on
/// the runner's stderr).
pub(crate) fn measure(server: &Server, setup: &Setup) -> Result<Measured, String> {
    let spec = ConsumerSpec::on_empty(server, QUEUE, setup.batch, setup.workers);
    let mut consumers = spec.start(setup.system, setup.consumers);
    let consumers_cpu = |consumers: &[ChildProcess]| -> f64 {
        consumers.iter().map(|c| cpu_seconds(c.pid())).sum()
    };
    let mut connection = server.connection().expect("the server answers");
    let (info_before, cpu_before) = (server.info(), consumers_cpu(&consumers));
    // The clock starts once the producer has connected, as it starts to enqueue.
    let mut producer = ChildProcess::producer(setup.system, &spec.url, QUEUE, setup.load());
    let started = Instant::now();
    let mut polls = 1;
    while setup.system.completed(&mut connection, QUEUE) < setup.jobs as u64 {
        assert!(started.elapsed() < TIMEOUT, "{setup:?} did not finish");
        if consumers.iter_mut().any(ChildProcess::has_exited) {
            return Err("a consumer process died".to_owned());
        }
        std::thread::sleep(POLL_EVERY);
        polls += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (info_after, cpu_after) = (server.info(), consumers_cpu(&consumers));
    let rss = consumers
        .iter()
        .map(|c| crate::process::resident_bytes(c.pid()))
        .max()
        .unwrap_or(0);
    let producer_cpu: f64 = producer.expect_line("cpu").parse().expect("CPU seconds");
    let per_job = |seconds: f64| seconds * 1e6 / setup.jobs as f64;
    Ok(Measured {
        jobs_per_second: setup.jobs as f64 / seconds,
        redis_cores: (info_after.cpu_seconds - info_before.cpu_seconds) / seconds,
        redis_us: per_job(info_after.cpu_seconds - info_before.cpu_seconds),
        consumers_us: per_job(cpu_after - cpu_before),
        producer_us: per_job(producer_cpu),
        consumer_rss_mib: rss as f64 / (1024.0 * 1024.0),
        commands: commands_per_job(&info_before, &info_after, setup, polls),
    })
}

/// The commands the system sent during the run, per job: the runner's own (`INFO`, and the
/// polls counting what is done) taken out.
fn commands_per_job(
    before: &Info,
    after: &Info,
    setup: &Setup,
    polls: u64,
) -> Vec<(String, f64, f64)> {
    let jobs = setup.jobs as f64;
    let mut commands: Vec<(String, f64, f64)> = after
        .commands
        .iter()
        .filter(|(name, _)| name.as_str() != "info")
        .filter_map(|(name, &(calls, usec))| {
            let (calls_before, usec_before) = before.commands.get(name).copied().unwrap_or((0, 0));
            let (mut calls, mut usec) = (calls - calls_before, (usec - usec_before) as f64);
            if name == setup.system.poll_command() {
                let polls = polls.min(calls);
                usec -= usec * polls as f64 / calls.max(1) as f64;
                calls -= polls;
            }
            (calls > 0).then(|| (name.clone(), calls as f64 / jobs, usec / jobs))
        })
        .collect();
    commands.sort_by(|a, b| b.2.total_cmp(&a.2));
    commands
}
