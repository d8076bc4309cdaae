//! BullMQ for Node (the version pinned in `benches/peers/bullmq/package.json`), run as its
//! own processes by `node benches/peers/bullmq/bench.mjs`, which speaks the runner's
//! protocol. Installed with `npm ci` on first use; skipped, and said so, where Node is not.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The script's directory.
fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/bullmq")
}

/// `node bench.mjs` with `args`.
pub(crate) fn command(args: &[&str]) -> Command {
    let mut command = Command::new("node");
    command.arg(directory().join("bench.mjs")).args(args);
    command
}

/// Whether BullMQ can run here: Node present, and its packages installed from the lock
/// file (`npm ci`, once). Why not, otherwise.
pub(crate) fn ready() -> Result<(), String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|output| output.status.success()) {
        return Err("node is not installed (apt-get install -y nodejs npm)".to_owned());
    }
    if directory().join("node_modules/bullmq").exists() {
        return Ok(());
    }
    let installed = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(directory())
        .stdout(Stdio::null())
        .status();
    match installed {
        Ok(status) if status.success() => Ok(()),
        _ => Err("npm ci failed in benches/peers/bullmq".to_owned()),
    }
}

/// Jobs finished so far: BullMQ's own count of completed jobs (its metrics, which the
/// script's workers turn on).
pub(crate) fn completed(connection: &mut redis::Connection, queue: &str) -> u64 {
    redis::cmd("HGET")
        .arg(format!("bull:{queue}:metrics:completed"))
        .arg("count")
        .query::<Option<u64>>(connection)
        .expect("HGET")
        .unwrap_or(0)
}

/// The command `completed` polls with, to take out of the server's counts.
pub(crate) const POLL_COMMAND: &str = "hget";
