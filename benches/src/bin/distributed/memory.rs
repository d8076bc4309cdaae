//! `memory`: one consumer drains streams of growing length; its resident memory is sampled
//! as it goes. A consumer holds at most its workers plus its prefetch, so its memory should
//! not follow the stream's length.

use std::time::{Duration, Instant};

use crate::child::ChildProcess;
use crate::options::Options;
use crate::process::resident_bytes;
use crate::server::Server;
use crate::system::{ConsumerSpec, Load, System};

const SAMPLE_EVERY: Duration = Duration::from_millis(20);
const BATCH: usize = 100;
const QUEUE: &str = "memory";

/// Prints, per system and stream length, the consumer's resident memory when ready, at its
/// peak while draining, and at the end.
pub(crate) fn run(options: &Options) {
    let server = Server::start();
    println!(
        "| queue | stream length | Redis memory | consumer RSS ready | peak | end | drain s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &system in &options.systems {
        for &length in &options.lengths {
            let Some(row) = drain(&server, system, length, options.workers) else {
                println!(
                    "| {} | {length} | the consumer died | | | | |",
                    system.name()
                );
                continue;
            };
            println!(
                "| {} | {length} | {} | {} | {} | {} | {:.1} |",
                system.name(),
                mib(row.redis_memory),
                mib(row.ready),
                mib(row.peak),
                mib(row.end),
                row.seconds
            );
        }
    }
}

struct Drained {
    redis_memory: u64,
    ready: u64,
    peak: u64,
    end: u64,
    seconds: f64,
}

/// `None` if the consumer died (what it said is on stderr).
fn drain(server: &Server, system: System, length: usize, workers: usize) -> Option<Drained> {
    server.reset();
    let load = Load::plain(length, 0);
    ChildProcess::producer(system, &server.url(), QUEUE, load).expect_line("cpu");
    let redis_memory = server.info().used_memory;
    let spec = ConsumerSpec {
        url: server.url(),
        queue: QUEUE.to_owned(),
        batch: BATCH,
        workers,
    };
    let mut consumer = ChildProcess::consumer(system, &spec);
    let ready = resident_bytes(consumer.pid());
    let mut peak = ready;
    let mut connection = server.connection().expect("the server answers");
    let started = Instant::now();
    while system.completed(&mut connection, QUEUE) < length as u64 {
        if consumer.has_exited() {
            return None;
        }
        peak = peak.max(resident_bytes(consumer.pid()));
        std::thread::sleep(SAMPLE_EVERY);
    }
    Some(Drained {
        redis_memory,
        ready,
        peak,
        end: resident_bytes(consumer.pid()),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
