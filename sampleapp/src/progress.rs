//! The live progress bar, on stderr when it is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use pool_core::PoolStats;

/// A bar redrawn ten times a second from the pool's stats, by a thread of its own so that it
/// works the same on every runtime.
#[derive(Debug)]
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Progress {
    /// Shows the bar, unless stderr is not a terminal (piped, or in CI).
    pub fn show(stats: impl Fn() -> PoolStats + Send + 'static) -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        crate::log_writer::write_around(&bar);
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let started = Instant::now();
                while !done.load(Ordering::Acquire) {
                    let now = stats();
                    let finished = now.finished();
                    #[allow(clippy::cast_precision_loss)]
                    let rate = finished as f64 / started.elapsed().as_secs_f64().max(1e-3);
                    bar.set_message(format!(
                        "{finished} done · {rate:.0} jobs/s · {} busy · {} queued",
                        now.busy, now.queued
                    ));
                    bar.tick();
                    std::thread::sleep(Duration::from_millis(100));
                }
                crate::log_writer::forget_bar();
                bar.finish_and_clear();
            })
        };
        Some(Self { done, thread })
    }

    /// Takes the bar off the screen.
    pub fn finish(self) {
        self.done.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}
