//! Which handler answers which path, and the layers every request passes.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;
use pool_redis::Queue;

use super::actions::{Action, act, confirm};
use super::app::App;
use super::deadline::within_deadline;
use super::pages::{dead_letter, dead_letters, job, overview, queue};
use super::security::{harden, log_in, login_page, require_token};

/// The page's one script: live numbers and charts from `/api/overview`.
const SCRIPT: &str = include_str!("assets/dashboard.js");

/// The pages' style.
const STYLE: &str = include_str!("assets/dashboard.css");

/// Every route, behind the token check and the hardening headers.
pub(super) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(overview::show))
        .route("/api/overview", get(overview::api))
        .route("/queue", get(queue::show))
        .route("/queue/job", get(job::show))
        .route("/queue/dead", get(dead_letters::show))
        .route("/queue/dead/letter", get(dead_letter::show))
        .route(
            "/queue/dead/requeue",
            get(|state, which| confirm(Action::Requeue, state, which)).post(
                |state, name, headers, form| act(Action::Requeue, state, name, headers, form),
            ),
        )
        .route(
            "/queue/dead/delete",
            get(|state, which| confirm(Action::Delete, state, which))
                .post(|state, name, headers, form| act(Action::Delete, state, name, headers, form)),
        )
        .route("/metrics", get(metrics))
        .route("/login", get(login_page).post(log_in))
        .route(
            "/static/dashboard.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
            }),
        )
        .route(
            "/static/dashboard.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
        .layer(from_fn(within_deadline))
        .layer(from_fn_with_state(Arc::clone(&app), require_token))
        .layer(from_fn(harden))
        .with_state(app)
}

/// Prometheus's scrape: every queue's numbers, sampled now, then rendered.
async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    if let Ok(inspector) = app.inspector().await
        && let Ok(names) = app.queue_names().await
    {
        for name in names {
            if let Ok(stats) = inspector.stats(&Queue::new(&name)).await {
                stats.record_metrics(&name);
            }
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.exporter.render(),
    )
}
