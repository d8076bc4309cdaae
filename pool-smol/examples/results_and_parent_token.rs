//! A smol program that reads the results stream from a task of its own, while an upstream
//! token stops the pool halfway: every job ends up in the stream, run or handed back.
//!
//! `cargo run -p pool-smol --example results_and_parent_token`
#![allow(clippy::print_stdout)]

use pool_smol::{BoxError, CancellationToken, Cancelled, JobErrorKind, WorkerPool};
use smol::stream::StreamExt;

fn main() -> Result<(), BoxError> {
    smol::block_on(async {
        let service = CancellationToken::new();
        let (pool, results) = WorkerPool::<u32>::builder()
            .name("smol-stream")
            .workers(2)
            .cancellation(service.clone())
            .build_with_results(16)?;
        pool.start()?;
        let reader = smol::spawn(results.fold([0_u32; 3], |mut seen, status| {
            match status.outcome.as_ref().map_err(|error| error.kind()) {
                Ok(_) => seen[0] += 1,
                Err(JobErrorKind::Cancelled) => seen[1] += 1,
                Err(JobErrorKind::NotStarted) => seen[2] += 1,
                Err(other) => panic!("unexpected outcome {other:?}"),
            }
            seen
        }));

        // Upstream says stop, a while in: the pool stops as `shutdown_now` does.
        let upstream = service.clone();
        smol::spawn(async move {
            smol::Timer::after(std::time::Duration::from_millis(30)).await;
            upstream.cancel();
        })
        .detach();
        for n in 0..200_u32 {
            let submitted = pool
                .submit_fn(move |ctx| async move {
                    // A job that watches the token: it stops when the service goes down.
                    let work = async {
                        smol::Timer::after(std::time::Duration::from_millis(1)).await;
                        n
                    };
                    Ok(ctx.run_until_cancelled(work).await.ok_or(Cancelled)?)
                })
                .await;
            if submitted.is_err() {
                break; // the pool is closed: upstream stopped it
            }
        }
        let report = pool.shutdown().await?;
        drop(pool);
        let [completed, cancelled, not_started] = reader.await;
        println!(
            "{completed} completed, {cancelled} cancelled, {not_started} handed back unstarted"
        );
        assert_eq!(
            completed + cancelled + not_started,
            report.stats.submitted as u32
        );
        assert_eq!(not_started as usize, report.unstarted.len());
        Ok(())
    })
}
