//! A sleep that needs no runtime: for the shutdown deadlines, which must fire even when jobs
//! block every thread of the runtime (tokio's timers, for one, are driven by its worker
//! threads, and stop with them).

use std::sync::mpsc;
use std::time::Duration;

use futures_channel::oneshot;

/// Resolves after `duration`, timed by a thread of its own. Dropping the future early ends
/// the thread at once. If no thread can be spawned, it falls back to `fallback`.
pub(crate) async fn sleep_on_a_thread(duration: Duration, fallback: impl Future<Output = ()>) {
    let (fire, fired) = oneshot::channel::<()>();
    // Dropped with this future: the timer thread then wakes and leaves.
    let (_abandon, abandoned) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("pool-deadline".to_owned())
        .spawn(move || {
            if abandoned.recv_timeout(duration) == Err(mpsc::RecvTimeoutError::Timeout) {
                let _ = fire.send(());
            }
        });
    match spawned {
        Ok(_) => {
            let _ = fired.await;
        }
        Err(error) => {
            tracing::warn!(%error, "no thread for a shutdown deadline: using the runtime's timer");
            fallback.await;
        }
    }
}
