//! `/queue/{name}/job?key=KEY`: where a job is, by its key.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use pool_redis::{JobState, Queue};
use serde::Deserialize;

use super::super::app::App;
use super::super::layout::{PageError, page, queue_link, spoken, when};

/// The page's query: the queue and the job's key.
#[derive(Debug, Deserialize)]
pub(in super::super) struct JobQuery {
    name: String,
    key: String,
}

/// The page.
pub(in super::super) async fn show(
    State(app): State<Arc<App>>,
    Query(JobQuery { name, key: asked }): Query<JobQuery>,
) -> Result<Markup, PageError> {
    let Ok(key) = uuid::Uuid::parse_str(asked.trim()) else {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("{asked:?} is not a job key (a UUID)"),
        ));
    };
    let Some(_turn) = app.lookup_turn() else {
        return Err(PageError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "other job lookups are running (each may read the whole queue): try again in a moment",
        ));
    };
    let job = app
        .inspector()
        .await?
        .find_job(&Queue::new(&name), key)
        .await?;
    let state = match &job.state {
        JobState::Waiting { entry } => {
            html! { "Waiting in the stream for a consumer (entry " (entry) ")." }
        }
        JobState::Held {
            consumer,
            idle_ms,
            deliveries,
            entry,
        } => html! {
            "Held by " strong { (consumer) } " (delivery " (deliveries) ", lease renewed "
            (spoken(Duration::from_millis(*idle_ms))) " ago; entry " (entry) "): queued on its pool or running."
        },
        JobState::Released { entry } => {
            html! { "Released unstarted by a stopping consumer; the next consumer to look takes it (entry " (entry) ")." }
        }
        JobState::Delayed { due, reason } => {
            html! { "Delayed (" (format!("{reason:?}").to_lowercase()) ") until " (when(*due)) "." }
        }
        JobState::DeadLettered(letter) => html! {
            "Dead-lettered after " (letter.attempts) " attempts: " span.error { (letter.error) } ". "
            a href=(queue_link(&name, "/dead/letter", &[("id", &letter.id)])) { "See the dead letter" }
        },
        JobState::Finished(outcome) => {
            html! { "Finished: " code { (serde_json::to_string(outcome).unwrap_or_default()) } }
        }
        _ => {
            html! { "Not found: never enqueued in this queue, or finished without an outcome kept (consumers keep outcomes only when asked), or its outcome expired." }
        }
    };
    Ok(page(
        &format!("Job {key}"),
        html! {
            p { "Queue " a href=(queue_link(&name, "", &[])) { (name) } }
            p.state { (state) }
            @if let Some(progress) = &job.progress {
                p { "Latest progress (" (when(progress.at)) "): " code { (progress.value.to_string()) } }
            }
        },
    ))
}
