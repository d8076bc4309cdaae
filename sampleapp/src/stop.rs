//! How a run is told to stop: once to drain, twice to stop now.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    interrupts: Arc<AtomicUsize>,
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

    /// The first Ctrl-C drains (even if the run is draining already, because its duration
    /// elapsed), the second stops now; Enter drains when stdin is a terminal (the Go
    /// original's way).
    ///
    /// # Errors
    ///
    /// If the Ctrl-C handler cannot be installed.
    pub fn install_handlers(&self) -> Result<(), ctrlc::Error> {
        let stop = self.clone();
        ctrlc::set_handler(move || {
            if stop.interrupts.fetch_add(1, Ordering::AcqRel) == 0 {
                tracing::info!("interrupted: draining the queue (Ctrl-C again to stop now)");
                stop.drain(StopReason::Interrupt);
            } else {
                tracing::warn!("interrupted again: stopping now, handing back queued jobs");
                stop.now.cancel();
            }
        })?;
        if std::io::stdin().is_terminal() {
            let stop = self.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                // End of input (Ctrl-D, or a terminal that goes away) is not Enter.
                if std::io::stdin()
                    .read_line(&mut line)
                    .is_ok_and(|read| read > 0)
                {
                    tracing::info!("Enter pressed: draining the queue");
                    stop.drain(StopReason::Enter);
                }
            });
        }
        Ok(())
    }
}
