//! The live progress line: a bar on stderr when it is a terminal, a log line every ten
//! seconds when it is not (piped, or in CI).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use pool_core::PoolStats;

/// How often a terminal's bar is redrawn.
const REDRAW: Duration = Duration::from_millis(100);

/// How often the line is logged when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// A progress line kept up to date by a thread of its own, so that it works the same on
/// every runtime.
#[derive(Debug)]
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Progress {
    /// Shows `message(elapsed)`: redrawn ten times a second on a terminal, logged every ten
    /// seconds otherwise.
    pub fn show(mut message: impl FnMut(Duration) -> String + Send + 'static) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            crate::log_writer::write_around(&bar);
            bar
        });
        let thread = {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut logged = started;
                while !done.load(Ordering::Acquire) {
                    std::thread::sleep(REDRAW);
                    match &bar {
                        Some(bar) => {
                            bar.set_message(message(started.elapsed()));
                            bar.tick();
                        }
                        None if logged.elapsed() >= LOG_EVERY => {
                            logged = Instant::now();
                            tracing::info!("{}", message(started.elapsed()));
                        }
                        None => {}
                    }
                }
                if let Some(bar) = bar {
                    crate::log_writer::forget_bar();
                    bar.finish_and_clear();
                }
            })
        };
        Self { done, thread }
    }

    /// The local demo's line, from the pool's stats: jobs done, rate, busy and queued.
    pub fn of_pool(stats: impl Fn() -> PoolStats + Send + 'static) -> Self {
        Self::show(move |elapsed| {
            let now = stats();
            let finished = now.finished();
            format!(
                "{finished} done · {:.0} jobs/s · {} busy · {} queued",
                per_second(finished, elapsed),
                now.busy,
                now.queued
            )
        })
    }

    /// Takes the line off the screen.
    pub fn finish(self) {
        self.done.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}

/// `count` over `elapsed`, per second.
#[allow(clippy::cast_precision_loss)]
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(1e-3)
}
