//! `--pin`: Redis on one CPU, every client process on the other (`taskset`), so that a
//! ratio against pipelined `XADD` measures Redis's work rather than a machine whose cores
//! Redis and its clients fight over.

use std::process::Command;
use std::sync::OnceLock;

/// The CPUs, when pinning: Redis's, the clients'.
static PINNED: OnceLock<(u32, u32)> = OnceLock::new();

/// Pins from now on: Redis to `redis`, every client started later to `clients`.
pub(crate) fn pin(redis: u32, clients: u32) {
    let _ = PINNED.set((redis, clients));
}

/// `command`, run under `taskset` on the clients' CPU if pinning.
pub(crate) fn clients(command: Command) -> Command {
    let Some((_, cpu)) = PINNED.get() else {
        return command;
    };
    let mut pinned = Command::new("taskset");
    pinned
        .arg("-c")
        .arg(cpu.to_string())
        .arg(command.get_program())
        .args(command.get_args());
    pinned
}

/// Moves every thread of running process `pid` (a redis-server) to Redis's CPU, if pinning.
pub(crate) fn redis(pid: u32) {
    let Some((cpu, _)) = PINNED.get() else {
        return;
    };
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset runs (util-linux)");
    assert!(status.success(), "taskset could not pin redis-server {pid}");
}
