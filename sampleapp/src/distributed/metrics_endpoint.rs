//! `/metrics` for Prometheus: the `metrics` facade's Prometheus exporter, rendered on each
//! scrape after the caller's sampler has recorded what it samples (a consumer's counts, the
//! queues' numbers): sampled by whoever serves the endpoint, when it is read.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};

use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_util::MetricKindMask;

use pool_core::CancellationToken;

/// Histogram buckets for every duration the app reports, in seconds: from a millisecond to
/// five minutes, so that jobs of any length land in a bucket and `histogram_quantile` works.
const BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Records what the endpoint samples, just before a scrape renders.
pub type Sampler = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The process's Prometheus recorder: installed once, before anything records.
#[derive(Clone, Debug)]
pub struct Exporter {
    handle: PrometheusHandle,
}

impl Exporter {
    /// Installs the recorder for the whole process.
    ///
    /// # Errors
    ///
    /// If a recorder was installed already.
    pub fn install() -> Result<Self, String> {
        let handle = PrometheusBuilder::new()
            // Counters and gauges are set on each scrape: one not set for this long is of a
            // queue (or consumer) that is gone, and goes. Histograms stay: they are cumulative.
            .idle_timeout(
                MetricKindMask::COUNTER | MetricKindMask::GAUGE,
                Some(std::time::Duration::from_secs(300)),
            )
            .set_buckets(&BUCKETS)
            .map_err(|error| error.to_string())?
            .install_recorder()
            .map_err(|error| format!("cannot install the metrics recorder: {error}"))?;
        Ok(Self { handle })
    }

    /// Everything recorded, in Prometheus's text format.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// The `/metrics` route: samples, then renders.
pub async fn scrape(State((exporter, sample)): State<(Exporter, Sampler)>) -> impl IntoResponse {
    sample().await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exporter.render(),
    )
}

/// A `/metrics` endpoint served by a thread of its own (on a small tokio runtime, whatever
/// runtime the caller's work runs on), until it is told to stop.
#[derive(Debug)]
pub struct Endpoint {
    /// Where it listens (the port chosen, for `:0`).
    pub address: SocketAddr,
    thread: std::thread::JoinHandle<()>,
}

impl Endpoint {
    /// Serves on `listener` (from [`bind`], called before anything that a bad address should
    /// not leave behind, such as a consumer registered in its group).
    ///
    /// # Errors
    ///
    /// If the listener has no address.
    pub fn serve(
        listener: TcpListener,
        exporter: Exporter,
        sample: Sampler,
        until: CancellationToken,
    ) -> Result<Self, String> {
        let address = listener
            .local_addr()
            .map_err(|error| format!("cannot listen: {error}"))?;
        let router = Router::new()
            .route("/metrics", get(scrape))
            .with_state((exporter, sample));
        let thread = std::thread::spawn(move || {
            let served = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| {
                    runtime.block_on(async move {
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        axum::serve(listener, router)
                            .with_graceful_shutdown(async move { until.cancelled().await })
                            .await
                    })
                });
            if let Err(error) | Ok(Err(error)) = served {
                tracing::error!(%error, "the metrics endpoint stopped");
            }
        });
        tracing::info!("metrics on http://{address}/metrics");
        Ok(Self { address, thread })
    }

    /// Waits for it to stop (once told to).
    pub fn join(self) {
        let _ = self.thread.join();
    }
}

/// A listening socket on `listen`, ready for tokio.
pub fn bind(listen: SocketAddr) -> Result<TcpListener, String> {
    let listener =
        TcpListener::bind(listen).map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|error| format!("cannot listen on {listen}: {error}"))?;
    Ok(listener)
}
