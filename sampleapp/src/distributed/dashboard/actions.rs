//! Re-queue and delete, of one dead letter or all: a GET shows what would be done and asks
//! for confirmation (it changes nothing); only the confirming POST acts, once its
//! anti-forgery value and origin check out.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pool_redis::Queue;
use serde::Deserialize;

use super::app::App;
use super::layout::{PageError, QueueName, page, queue_link};
use super::security::refused;

/// The two actions.
#[derive(Clone, Copy, Debug)]
pub(super) enum Action {
    Requeue,
    Delete,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Self::Requeue => "requeue",
            Self::Delete => "delete",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Requeue => "Re-queue",
            Self::Delete => "Delete",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Self::Requeue => "requeued",
            Self::Delete => "deleted",
        }
    }
}

/// Which letters of which queue: one by id, or all.
#[derive(Debug, Deserialize)]
pub(super) struct Which {
    name: String,
    id: Option<String>,
    all: Option<String>,
}

/// The confirming form's fields.
#[derive(Debug, Deserialize)]
pub(super) struct Confirmed {
    csrf: String,
    id: Option<String>,
    all: Option<String>,
}

/// The confirmation page.
pub(super) async fn confirm(
    action: Action,
    State(app): State<Arc<App>>,
    Query(which): Query<Which>,
) -> Result<Markup, PageError> {
    let name = which.name.clone();
    if app.read_only {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "this dashboard is read-only",
        ));
    }
    let letters = app.inspector().await?.dead_letters(&Queue::new(&name))?;
    let what = match (&which.id, &which.all) {
        (_, Some(_)) => format!("all {} dead letters of {name}", letters.count().await?),
        (Some(id), None) => format!("dead letter {id} of {name}"),
        (None, None) => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "which dead letter? (id=… or all=1)",
            ));
        }
    };
    let warning = match action {
        Action::Requeue => {
            "Each goes back on the queue as a new job, its attempts counted from zero."
        }
        Action::Delete => "They are gone for good: this cannot be undone.",
    };
    Ok(page(
        &format!("{}?", action.title()),
        html! {
            p { (action.title()) " " strong { (what) } "?" }
            p { (warning) }
            form method="post" action=(queue_link(&name, &format!("/dead/{}", action.verb()), &[])) {
                input type="hidden" name="csrf" value=(app.csrf);
                @if let Some(id) = &which.id { input type="hidden" name="id" value=(id); }
                @if which.all.is_some() { input type="hidden" name="all" value="1"; }
                button.danger[matches!(action, Action::Delete)] type="submit" { "Yes, " (action.title().to_lowercase()) }
                " "
                a href=(queue_link(&name, "/dead", &[])) { "Cancel" }
            }
        },
    ))
}

/// The action itself; back to the dead letters, saying what was done.
pub(super) async fn act(
    action: Action,
    State(app): State<Arc<App>>,
    Query(QueueName { name }): Query<QueueName>,
    headers: HeaderMap,
    Form(form): Form<Confirmed>,
) -> Result<Response, PageError> {
    if let Some(why) = refused(&app, &headers, &form.csrf) {
        return Err(PageError::new(StatusCode::FORBIDDEN, why));
    }
    let letters = app.inspector().await?.dead_letters(&Queue::new(&name))?;
    let count = match (action, &form.id, &form.all) {
        (Action::Requeue, _, Some(_)) => letters.requeue_all().await?,
        (Action::Delete, _, Some(_)) => letters.delete_all().await?,
        (Action::Requeue, Some(id), None) => u64::from(letters.requeue(id).await?),
        (Action::Delete, Some(id), None) => u64::from(letters.delete(id).await?),
        (_, None, None) => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "which dead letter? (id or all)",
            ));
        }
    };
    tracing::info!(queue = %name, action = action.verb(), count, "dead letters, from the dashboard");
    let back = queue_link(
        &name,
        "/dead",
        &[("done", action.done()), ("count", &count.to_string())],
    );
    Ok(Redirect::to(&back).into_response())
}
