//! The broker's own limit on this machine: entries of a job's size added to a stream with
//! `XADD`, pipelined, from one connection, with nothing else running.

use std::time::Instant;

use crate::server::Server;

/// `XADD`s per pipeline: deep enough that the round trip is not what is measured.
const PIPELINE: usize = 1_000;

/// Entries added per second, for `entries` entries shaped as pool-redis writes a job (kind,
/// key, JSON payload).
pub(crate) fn xadd_rate(server: &Server, entries: usize) -> f64 {
    server.reset();
    let mut connection = server.connection().expect("the server answers");
    xadd_batches(&mut connection, "{xadd}:jobs", entries, PIPELINE, false)
}

/// Entries added per second to `stream` in pipelines of `batch`, each followed by
/// `WAIT 1 1000` if `wait_for_a_replica` (the pipeline's answer then waits until a replica
/// has its writes).
pub(crate) fn xadd_batches(
    connection: &mut redis::Connection,
    stream: &str,
    entries: usize,
    batch: usize,
    wait_for_a_replica: bool,
) -> f64 {
    // Made before the clock starts: the broker's limit, not the keys', is measured.
    let keys: Vec<String> = (0..entries)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let started = Instant::now();
    let mut added = 0;
    while added < entries {
        let count = batch.min(entries - added);
        let mut pipe = redis::pipe();
        for key in &keys[added..added + count] {
            pipe.cmd("XADD")
                .arg(stream)
                .arg("*")
                .arg("kind")
                .arg("bench")
                .arg("key")
                .arg(key)
                .arg("payload")
                .arg(r#"{"work_ms":0}"#)
                .ignore();
        }
        if wait_for_a_replica {
            pipe.cmd("WAIT").arg(1).arg(1000).ignore();
        }
        pipe.exec(connection).expect("XADD");
        added += count;
    }
    entries as f64 / started.elapsed().as_secs_f64()
}
