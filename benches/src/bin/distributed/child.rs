//! The runner's child processes: the binary re-run as one consumer or one producer, so that
//! each lives in its own process as it would in production.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::server::Server;
use crate::system::{ConsumerSpec, Load, System};
use crate::{bullmq_peer, celery_peer};

/// A child process, killed (by its PID) and reaped when dropped.
pub(crate) struct ChildProcess {
    child: Child,
    output: BufReader<ChildStdout>,
}

/// How to start the processes of a queue not written in Rust, with their arguments.
fn foreign(system: System) -> Option<fn(&[&str]) -> Command> {
    match system {
        System::BullMq => Some(bullmq_peer::command),
        System::Celery => Some(celery_peer::command),
        _ => None,
    }
}

impl ConsumerSpec {
    /// Empties `server` for a run on `queue`: every mode starts from nothing.
    pub(crate) fn on_empty(server: &Server, queue: &str, batch: usize, workers: usize) -> Self {
        server.reset();
        Self {
            url: server.url(),
            queue: queue.to_owned(),
            batch,
            workers,
        }
    }

    /// Starts `count` consumer processes of `system`, each ready when this returns.
    pub(crate) fn start(&self, system: System, count: usize) -> Vec<ChildProcess> {
        (0..count)
            .map(|_| ChildProcess::consumer(system, self))
            .collect()
    }
}

impl ChildProcess {
    /// Starts a consumer and waits until it says it is ready.
    pub(crate) fn consumer(system: System, spec: &ConsumerSpec) -> Self {
        let workers = spec.workers.to_string();
        let mut child = Self::spawn(match foreign(system) {
            Some(command) => command(&["consume", &spec.url, &spec.queue, &workers]),
            None => Self::again(&[
                "consume",
                system.name(),
                &spec.url,
                &spec.queue,
                &spec.batch.to_string(),
                &workers,
            ]),
        });
        child.expect_line("ready");
        child
    }

    /// Starts a producer of `load` and waits until it has connected; it enqueues the jobs
    /// at once, then exits.
    pub(crate) fn producer(system: System, url: &str, queue: &str, load: Load) -> Self {
        let (jobs, work_ms) = (load.jobs.to_string(), load.work_ms.to_string());
        let numbered = if load.numbered { "numbered" } else { "plain" };
        let rate = load.rate.unwrap_or(0.0).to_string();
        let mut child = Self::spawn(match foreign(system) {
            Some(command) => command(&["produce", url, queue, &jobs, &work_ms, numbered, &rate]),
            None => Self::again(&[
                "produce",
                system.name(),
                url,
                queue,
                &jobs,
                &work_ms,
                numbered,
                &rate,
            ]),
        });
        child.expect_line("ready");
        child
    }

    /// This binary again, with `args`.
    fn again(args: &[&str]) -> Command {
        let mut command = Command::new(std::env::current_exe().expect("the runner's own path"));
        command.args(args);
        command
    }

    /// Runs `command`, on the clients' CPU if the runner pins processes (`--pin`).
    fn spawn(command: Command) -> Self {
        let mut command = crate::pinning::clients(command);
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .expect("a child process starts");
        let output = BufReader::new(child.stdout.take().expect("a piped stdout"));
        Self { child, output }
    }

    /// Whether it has exited (a consumer only exits if it failed).
    pub(crate) fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the child's next line, which must start with `prefix`; returns the rest.
    pub(crate) fn expect_line(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .expect("the child's output");
        line.trim()
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("the child said {line:?}, not {prefix:?}"))
            .trim()
            .to_owned()
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's side: `consume <system> <url> <queue> <batch> <workers>` or
/// `produce <system> <url> <queue> <jobs> <work_ms> numbered|plain <rate>` (0: unpaced). A producer ends by printing its own
/// CPU seconds.
pub(crate) fn run(role: &str, args: &[String]) {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let arg = |index: usize| args.get(index).map_or("", String::as_str);
    let number = |index: usize| arg(index).parse::<usize>().expect("a number");
    let system = System::parse(arg(0)).expect("a system's name");
    // `BENCH_RUNTIME=current_thread` runs each child on one thread: a consumer's reader,
    // workers and settler then hand off without waking another thread (measured against
    // tokio's default in benches/results/2026-12-03-peers.md).
    let runtime = match std::env::var("BENCH_RUNTIME").as_deref() {
        Ok("current_thread") => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
    .expect("a tokio runtime");
    match role {
        "consume" => {
            let spec = ConsumerSpec {
                url: arg(1).to_owned(),
                queue: arg(2).to_owned(),
                batch: number(3),
                workers: number(4),
            };
            runtime.block_on(system.consume(&spec));
        }
        _ => {
            let load = Load {
                jobs: number(3),
                work_ms: number(4) as u64,
                numbered: arg(5) == "numbered",
                rate: arg(6).parse::<f64>().ok().filter(|rate| *rate > 0.0),
            };
            runtime.block_on(system.produce(arg(1), arg(2), load));
            println!("cpu {}", crate::process::cpu_seconds(std::process::id()));
        }
    }
}
