//! Jobs that hold a connection-like resource: one connection per worker, lent to the job the
//! worker runs, and jobs that own what they hold (a one-shot callback, a `Cell`), none of it
//! `Sync`.
//!
//! `cargo run -p pool-async-std --example connections`
#![allow(clippy::print_stdout)]

use std::cell::Cell;
use std::time::Duration;

use pool_async_std::{BoxError, JobContext, JobProcessor, PerWorker, WorkerPool, async_trait};

/// Stands in for a database connection: costly to open, used by one job at a time.
struct Connection {
    worker: usize,
    queries: Cell<u32>, // not `Sync`: fine, a worker's job owns it while it runs
}

impl Connection {
    // `&mut self`: a shared `&Connection` held across an `.await` would need `Sync`.
    async fn query(&mut self, sql: &str) -> Result<usize, std::io::Error> {
        async_std::task::sleep(Duration::from_millis(1)).await;
        self.queries.set(self.queries.get() + 1);
        Ok(sql.len())
    }
}

/// A job that owns its data: the table name moves in, and a one-shot callback runs once.
struct CountRows {
    table: String,
    connections: PerWorker<Connection>,
    on_done: Option<Box<dyn FnOnce(usize) + Send>>,
}

#[async_trait]
impl JobProcessor for CountRows {
    type Output = usize;

    fn name(&self) -> &str {
        "count-rows"
    }

    async fn process(&mut self, ctx: &JobContext) -> Result<usize, BoxError> {
        let mut connection = self.connections.lease(ctx);
        assert_eq!(connection.worker, ctx.worker_id());
        let rows = connection
            .query(&format!("SELECT count(*) FROM {}", self.table))
            .await?;
        if let Some(on_done) = self.on_done.take() {
            on_done(rows);
        }
        Ok(rows)
    }
}

fn main() -> Result<(), BoxError> {
    async_std::task::block_on(async {
        let pool = WorkerPool::<usize>::builder().workers(4).build()?;
        // Opened lazily, one per worker, never more.
        let connections = pool.per_worker(|worker| Connection {
            worker,
            queries: Cell::new(0),
        });
        pool.start()?;
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let mut set = pool.job_set();
        for n in 0..100 {
            let done_tx = done_tx.clone();
            set.submit(CountRows {
                table: format!("events_{n}"),
                connections: connections.clone(),
                on_done: Some(Box::new(move |rows| {
                    let _ = done_tx.send(rows);
                })),
            })
            .await
            // The refusal hands the job back, and this job is not `Sync`: drop it for `?`.
            .map_err(|refused| refused.without_job())?;
        }
        drop(done_tx);
        let outcomes = set.join_all().await;
        let callbacks = done_rx.iter().count();
        println!(
            "{} jobs, {callbacks} callbacks, {} connections opened for 4 workers",
            outcomes.len(),
            connections.opened()
        );
        assert!(outcomes.iter().all(|(_, outcome)| outcome.is_ok()));
        assert_eq!(callbacks, 100);
        assert!(connections.opened() <= 4);
        pool.shutdown().await?;
        Ok(())
    })
}
