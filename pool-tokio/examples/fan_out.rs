//! A tokio fan-out: 1,000 jobs, one in ten fails, and the outcomes are collected as they
//! finish, each with its job's id: no handle per job, no id map, no `Arc` around the pool.
//!
//! `cargo run -p pool-tokio --example fan_out`
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use pool_tokio::{BoxError, JobErrorKind, WorkerPool};

/// Stands in for a call that sometimes fails.
async fn fetch(url: String) -> Result<usize, std::io::Error> {
    tokio::task::yield_now().await;
    if url.ends_with('7') {
        Err(std::io::Error::other(format!("{url}: service unavailable")))
    } else {
        Ok(url.len())
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let pool = WorkerPool::<usize>::builder()
        .name("fan-out")
        .workers(16)
        .build()?;
    pool.start()?;

    let mut set = pool.job_set();
    let mut urls = BTreeMap::new();
    for n in 0..1_000 {
        let url = format!("https://example.invalid/item/{n}");
        // An existing `async fn` with its own error type, submitted as it is; the URL moves
        // into the job.
        let id = set.spawn(fetch(url.clone())).await?;
        urls.insert(id, url);
    }

    let (mut bytes, mut failed) = (0, Vec::new());
    while let Some((id, outcome)) = set.join_next().await {
        match outcome {
            Ok(len) => bytes += len,
            Err(error) if error.kind() == JobErrorKind::Failed => {
                let cause = error
                    .downcast_ref::<std::io::Error>()
                    .expect("fetch's own error");
                failed.push((urls[&id].clone(), cause.to_string()));
            }
            Err(error) => return Err(error.into()),
        }
    }
    println!(
        "{} fetched, {bytes} bytes; {} failed",
        1_000 - failed.len(),
        failed.len()
    );
    println!("first failure: {} ({})", failed[0].0, failed[0].1);
    assert_eq!(failed.len(), 100);

    let report = pool.shutdown().await?;
    assert_eq!((report.stats.completed, report.stats.failed), (900, 100));
    Ok(())
}
