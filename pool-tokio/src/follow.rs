//! A tokio-util `CancellationToken` as the parent of a pool's token (feature `tokio-util`).

use pool_core::{CancellationToken, NoRuntime};

/// A pool token cancelled when `upstream` is: for the
/// [`cancellation`](pool_core::WorkerPoolBuilder::cancellation) of a pool in a service whose
/// shutdown signal is a tokio-util token.
///
/// tokio-util's token has no hook to run on cancel, so a small task on the current runtime
/// waits for `upstream` and cancels the returned token; it ends as soon as either is
/// cancelled (so the pool's own shutdown, which cancels its token's children, ends it too).
///
/// # Errors
///
/// [`NoRuntime`] outside a tokio runtime: the task has nowhere to run.
///
/// # Examples
///
/// ```
/// use pool_tokio::WorkerPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let service_stop = tokio_util::sync::CancellationToken::new();
/// let pool = WorkerPool::<()>::builder()
///     .cancellation(pool_tokio::follow(service_stop.clone())?)
///     .build()?;
/// pool.start()?;
/// service_stop.cancel();
/// pool.cancellation_token().cancelled().await; // the pool saw it
/// assert!(pool.is_closed());
/// pool.shutdown().await?;
/// # Ok(())
/// # }
/// ```
pub fn follow(
    upstream: tokio_util::sync::CancellationToken,
) -> Result<CancellationToken, NoRuntime> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
        NoRuntime("following a tokio-util token needs a tokio runtime: call `follow` inside one")
    })?;
    let token = CancellationToken::new();
    let ours = token.clone();
    runtime.spawn(async move {
        if ours
            .run_until_cancelled(upstream.cancelled_owned())
            .await
            .is_some()
        {
            ours.cancel();
        }
    });
    Ok(token)
}
