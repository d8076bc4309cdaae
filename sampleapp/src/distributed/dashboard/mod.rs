//! `dashboard`: a web page for every queue on a Redis server, served by the app itself:
//! server-rendered HTML (maud, escaped by default), one small script for live numbers, no
//! build step and nothing fetched from elsewhere: every byte it serves is in the binary.
//!
//! Pages: the queues (numbers and a live jobs/s chart), a queue's consumers (with a badge on
//! one that looks dead), its dead letters (re-queue or delete one or all, each confirmed),
//! one dead letter, and a job by its key. Plus `/metrics` for Prometheus.

mod actions;
mod app;
mod deadline;
mod layout;
mod pages;
mod rates;
mod routes;
mod security;

use std::sync::Arc;

use super::DashboardArgs;
use super::metrics_endpoint::{Exporter, bind};
use crate::stop::Stop;

/// Serves the dashboard until Ctrl-C.
///
/// # Errors
///
/// If the address cannot be listened on, the token is empty, or the runtime cannot start.
pub fn run(args: &DashboardArgs, stop: &Stop) -> Result<(), Box<dyn std::error::Error>> {
    if args.token.as_deref() == Some("") {
        return Err("--token is empty: give a secret, or no --token at all".into());
    }
    if !args.listen.ip().is_loopback() && args.token.is_none() {
        tracing::warn!(
            listen = %args.listen,
            "the dashboard listens beyond this machine without a --token: anyone who reaches it can re-queue and delete jobs"
        );
    }
    let listener = bind(args.listen)?;
    let address = listener.local_addr()?;
    let exporter = Exporter::install()?;
    let app = Arc::new(app::App::new(args, address, exporter));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tokio::spawn(Arc::clone(&app).sample_rates_forever());
        tracing::info!(
            read_only = args.read_only,
            token = args.token.is_some(),
            "dashboard on http://{address}/"
        );
        let drain = stop.drain.clone();
        axum::serve(listener, routes::router(app))
            .with_graceful_shutdown(async move { drain.cancelled().await })
            .await
    })?;
    Ok(())
}
