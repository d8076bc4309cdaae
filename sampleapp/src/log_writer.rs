//! Log lines and the progress bar on one terminal: each line is written with the bar taken
//! off the screen, then the bar is drawn again, so neither garbles the other.

use std::io::{self, Write};
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::fmt::MakeWriter;

/// The bar on screen, if any.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Routes log lines around `bar` until [`forget_bar`] is called.
pub fn write_around(bar: &ProgressBar) {
    *BAR.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bar.clone());
}

/// The bar is gone: log lines go straight to stderr again.
pub fn forget_bar() {
    *BAR.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
}

/// The `tracing` writer: stderr, around the progress bar when there is one.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogWriter;

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine(Vec::new())
    }
}

/// One log line, gathered and written whole when dropped.
#[derive(Debug)]
pub struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let bar = BAR
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        // A log line that cannot be written (stderr closed) is not worth a crash.
        let write = || {
            let _ = io::stderr().lock().write_all(&self.0);
        };
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}
