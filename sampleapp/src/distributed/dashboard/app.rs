//! What every request of the dashboard shares.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use pool_redis::{Inspector, QueueError};

use super::rates::Rates;
use crate::distributed::DashboardArgs;
use crate::distributed::metrics_endpoint::Exporter;

/// The dashboard's state.
#[derive(Debug)]
pub(super) struct App {
    url: String,
    /// Opened on first use (Redis may be down when the dashboard starts), then shared: its
    /// connection opens again by itself after it breaks.
    inspector: Mutex<Option<Inspector>>,
    /// The queue names last found, and when: finding them walks the whole keyspace (`SCAN`),
    /// too much to do on every refresh of every open page.
    names: Mutex<Option<(Instant, Vec<String>)>>,
    /// The secret a request must carry, if any.
    pub(super) token: Option<String>,
    /// The session cookie's value once logged in with the token: random per process, so the
    /// cookie is not the token.
    pub(super) session: String,
    /// Every form's anti-forgery value: random per process, shown only on pages a request
    /// was allowed to see (another site cannot read them).
    pub(super) csrf: String,
    pub(super) read_only: bool,
    /// The `Host` values a request may name, when the dashboard listens on loopback without
    /// a token: any other is a page of another site that had its name point here (DNS
    /// rebinding), which would otherwise read and act as if it were this dashboard's own.
    pub(super) hosts: Option<Vec<String>>,
    /// Job lookups running now: each may read whole streams, so only a few run at once.
    lookups: AtomicUsize,
    pub(super) rates: Rates,
    pub(super) exporter: Exporter,
}

impl App {
    pub(super) fn new(args: &DashboardArgs, listening: SocketAddr, exporter: Exporter) -> Self {
        let hosts = (args.token.is_none() && listening.ip().is_loopback()).then(|| {
            let port = listening.port();
            vec![
                listening.to_string(),
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]
        });
        Self {
            url: args.redis.clone(),
            inspector: Mutex::new(None),
            names: Mutex::new(None),
            token: args.token.clone(),
            session: secret(),
            csrf: secret(),
            read_only: args.read_only,
            hosts,
            lookups: AtomicUsize::new(0),
            rates: Rates::default(),
            exporter,
        }
    }

    /// The inspector, connected on first use.
    pub(super) async fn inspector(&self) -> Result<Inspector, QueueError> {
        if let Some(inspector) = self.held().clone() {
            return Ok(inspector);
        }
        let inspector = Inspector::connect(&self.url).await?;
        *self.held() = Some(inspector.clone());
        Ok(inspector)
    }

    /// A turn to look a job up, unless `LOOKUPS_AT_ONCE` are running.
    pub(super) fn lookup_turn(&self) -> Option<LookupTurn<'_>> {
        if self.lookups.fetch_add(1, Ordering::AcqRel) >= LOOKUPS_AT_ONCE {
            self.lookups.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(LookupTurn(&self.lookups))
    }

    /// The names of the server's queues, found again once those found are older than
    /// `NAMES_KEPT`.
    pub(super) async fn queue_names(&self) -> Result<Vec<String>, QueueError> {
        if let Some((found, names)) = &*lock(&self.names)
            && found.elapsed() < NAMES_KEPT
        {
            return Ok(names.clone());
        }
        let names = self.inspector().await?.queue_names().await?;
        *lock(&self.names) = Some((Instant::now(), names.clone()));
        Ok(names)
    }

    /// Samples every queue's totals each period, for as long as the dashboard runs. A sample
    /// Redis cannot answer is skipped (the chart shows a gap's average).
    pub(super) async fn sample_rates_forever(self: std::sync::Arc<Self>) {
        loop {
            if let Ok(inspector) = self.inspector().await
                && let Ok(names) = self.queue_names().await
            {
                for name in names {
                    let queue = pool_redis::Queue::new(&name);
                    if let Ok(stats) = inspector.stats(&queue).await {
                        self.rates
                            .note(&name, stats.acknowledged_total, stats.dead_lettered_total);
                    }
                }
            }
            tokio::time::sleep(super::rates::PERIOD).await;
        }
    }

    fn held(&self) -> MutexGuard<'_, Option<Inspector>> {
        lock(&self.inspector)
    }
}

/// Job lookups that may run at once.
const LOOKUPS_AT_ONCE: usize = 2;

/// A running job lookup's turn, given back when dropped (also when its request is).
#[derive(Debug)]
pub(super) struct LookupTurn<'a>(&'a AtomicUsize);

impl Drop for LookupTurn<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long the queue names found stay good: a new queue shows within this.
const NAMES_KEPT: Duration = Duration::from_secs(10);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 256 random bits, as hex.
fn secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
