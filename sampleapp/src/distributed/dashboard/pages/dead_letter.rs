//! `/queue/{name}/dead/{id}`: one dead letter in full: every field of its job's entry.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use pool_redis::{Queue, escaped};

use super::super::app::App;
use super::super::layout::{PageError, page, queue_link, when};

/// The page's query: the queue and the letter's id.
#[derive(Debug, serde::Deserialize)]
pub(in super::super) struct LetterQuery {
    name: String,
    id: String,
}

/// The page.
pub(in super::super) async fn show(
    State(app): State<Arc<App>>,
    Query(LetterQuery { name, id }): Query<LetterQuery>,
) -> Result<Markup, PageError> {
    let letters = app.inspector().await?.dead_letters(&Queue::new(&name))?;
    let Some(letter) = letters.get(&id).await? else {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            format!("no dead letter {id} in {name}: re-queued or deleted since?"),
        ));
    };
    let action = |verb: &str| queue_link(&name, &format!("/dead/{verb}"), &[("id", &letter.id)]);
    Ok(page(
        &format!("Dead letter {}", letter.id),
        html! {
            dl.numbers {
                dt { "Queue" } dd { a href=(queue_link(&name, "/dead", &[])) { (name) } }
                dt { "Dead since" } dd { (when(letter.dead_since)) }
                dt { "Kind" } dd { (letter.kind) }
                dt { "Job key" } dd { a href=(queue_link(&name, "/job", &[("key", &letter.key)])) { (letter.key) } }
                dt { "Attempts" } dd { (letter.attempts) }
                dt { "Last error" } dd.error { (letter.error) }
            }
            h2 { "Payload" }
            pre.payload { (letter.payload) }
            h2 { "Every field, as written" }
            table {
                @for (field, value) in &letter.fields {
                    tr { th { (escaped(field)) } td { code { (escaped(value)) } } }
                }
            }
            @if !app.read_only {
                p.actions {
                    a.button href=(action("requeue")) { "Re-queue" }
                    " "
                    a.button.danger href=(action("delete")) { "Delete" }
                }
            }
        },
    ))
}
