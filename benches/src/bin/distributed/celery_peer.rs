//! Celery with its Redis broker (the versions pinned in
//! `benches/peers/celery/requirements.txt`), run as its own processes by
//! `benches/peers/celery/bench.py`, which speaks the runner's protocol. Installed into a
//! virtual environment there on first use; skipped, and said so, without Python.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/celery")
}

fn python() -> PathBuf {
    directory().join(".venv/bin/python")
}

/// `python bench.py` with `args`, in the virtual environment.
pub(crate) fn command(args: &[&str]) -> Command {
    let mut command = Command::new(python());
    command.arg(directory().join("bench.py")).args(args);
    command
}

/// Whether Celery can run here: its virtual environment made and its packages installed
/// (once). Why not, otherwise.
pub(crate) fn ready() -> Result<(), String> {
    if python().exists() && directory().join(".venv/installed").exists() {
        return Ok(());
    }
    let run = |program: PathBuf, args: &[&str]| {
        Command::new(program)
            .args(args)
            .current_dir(directory())
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !run("python3".into(), &["-m", "venv", ".venv"]) {
        return Err("python3 -m venv failed (apt-get install -y python3-venv)".to_owned());
    }
    if !run(
        python(),
        &["-m", "pip", "install", "-q", "-r", "requirements.txt"],
    ) {
        return Err("pip install -r benches/peers/celery/requirements.txt failed".to_owned());
    }
    std::fs::write(directory().join(".venv/installed"), "").map_err(|error| error.to_string())
}

/// Tasks finished so far, as the workers report them (see `bench.py`).
pub(crate) fn completed(connection: &mut redis::Connection, queue: &str) -> u64 {
    redis::cmd("GET")
        .arg(format!("celery-bench:{queue}:done"))
        .query::<Option<u64>>(connection)
        .expect("GET")
        .unwrap_or(0)
}

/// The command `completed` polls with, to take out of the server's counts.
pub(crate) const POLL_COMMAND: &str = "get";
