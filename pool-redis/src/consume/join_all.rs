//! Running a number of futures known only at run time (one per queue) to their ends, all at
//! once on one task, as `future::zip` does for two.

use std::pin::Pin;
use std::task::Poll;

use futures_lite::future;

/// Completes once every one of `futures` has; each is polled when the task wakes, until it
/// is done.
pub(crate) async fn join_all<F: Future<Output = ()>>(futures: impl IntoIterator<Item = F>) {
    let mut running: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    future::poll_fn(|cx| {
        running.retain_mut(|future| future.as_mut().poll(cx).is_pending());
        if running.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures_lite::future::{self, block_on};

    use super::join_all;

    #[test]
    fn every_future_runs_to_its_end() {
        let done = Cell::new(0);
        let step = |yields: usize| {
            let done = &done;
            async move {
                for _ in 0..yields {
                    future::yield_now().await;
                }
                done.set(done.get() + 1);
            }
        };
        block_on(join_all([step(3), step(0), step(7)]));
        assert_eq!(done.get(), 3);
        block_on(join_all(Vec::<std::future::Ready<()>>::new()));
    }
}
