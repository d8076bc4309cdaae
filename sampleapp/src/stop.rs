//! How a run is told to stop: once to drain, twice to stop now.

use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

use pool_core::CancellationToken;

/// Why publishing stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `--duration` elapsed.
    Duration,
    /// `--jobs` were all accepted.
    JobCount,
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// Enter, on a terminal.
    Enter,
}

impl StopReason {
    /// The reason as the summary names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duration => "duration",
            Self::JobCount => "jobs",
            Self::Interrupt => "ctrl-c",
            Self::Enter => "enter",
        }
    }
}

/// The two stop levels of a run, shared by the publisher, the pool and the signal handlers.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    /// Stop publishing and drain the pool gracefully.
    pub drain: CancellationToken,
    /// Stop the pool now: the pool's parent token. Queued jobs are handed back.
    pub now: CancellationToken,
    reason: Arc<OnceLock<StopReason>>,
}

impl Stop {
    /// Asks the publisher to stop, remembering the first reason given.
    pub fn drain(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.drain.cancel();
    }

    /// Why publishing stopped, if it has.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    /// Ctrl-C drains, and stops now if the run is already draining; Enter drains when stdin
    /// is a terminal (the Go original's way).
    ///
    /// # Errors
    ///
    /// If the Ctrl-C handler cannot be installed.
    pub fn install_handlers(&self) -> Result<(), ctrlc::Error> {
        let stop = self.clone();
        ctrlc::set_handler(move || {
            if stop.drain.is_cancelled() {
                tracing::warn!("interrupted again: stopping now, handing back queued jobs");
                stop.now.cancel();
            } else {
                tracing::info!("interrupted: draining the queue (Ctrl-C again to stop now)");
                stop.drain(StopReason::Interrupt);
            }
        })?;
        if std::io::stdin().is_terminal() {
            let stop = self.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                if std::io::stdin().read_line(&mut line).is_ok() {
                    tracing::info!("Enter pressed: draining the queue");
                    stop.drain(StopReason::Enter);
                }
            });
        }
        Ok(())
    }
}
