//! `/queue/{name}/dead`: the newest dead letters, each with its error and payload, and the
//! actions on them (each asks for confirmation on a page of its own).

use std::sync::Arc;

use axum::extract::{Query, State};
use maud::{Markup, html};
use pool_redis::Queue;
use serde::Deserialize;

use super::super::app::App;
use super::super::layout::{PageError, cut, page, queue_link, when};

/// Dead letters shown on the page.
const SHOWN: usize = 100;

/// The page's query: the queue, and what the last action did (carried in the redirect after
/// it, as an action and a count: the page words the message, so a link cannot put words of
/// its own on it).
#[derive(Debug, Deserialize)]
pub(in super::super) struct DeadQuery {
    name: String,
    done: Option<String>,
    count: Option<u64>,
}

/// The page.
pub(in super::super) async fn show(
    State(app): State<Arc<App>>,
    Query(DeadQuery {
        name,
        done,
        count: done_count,
    }): Query<DeadQuery>,
) -> Result<Markup, PageError> {
    let done = match done.as_deref() {
        Some("requeued") => Some("Re-queued"),
        Some("deleted") => Some("Deleted"),
        _ => None,
    };
    let queue = Queue::new(&name);
    let letters = app.inspector().await?.dead_letters(&queue)?;
    let (count, newest) = (letters.count().await?, letters.newest(SHOWN).await?);
    let action =
        |verb: &str, which: (&str, &str)| queue_link(&name, &format!("/dead/{verb}"), &[which]);
    Ok(page(
        &format!("Dead letters of {name}"),
        html! {
            @if let Some(done) = done {
                p.flash { (done) " " (done_count.unwrap_or(0)) " dead letters." }
            }
            p {
                (count) " dead letters"
                @if count > SHOWN as u64 { ", the newest " (SHOWN) " shown" }
                ". "
                a href=(queue_link(&name, "", &[])) { "Back to the queue" }
            }
            @if count > 0 && !app.read_only {
                p.actions {
                    a.button href=(action("requeue", ("all", "1"))) { "Re-queue all" }
                    " "
                    a.button.danger href=(action("delete", ("all", "1"))) { "Delete all" }
                }
            }
            @if !newest.is_empty() {
                table.letters {
                    thead { tr {
                        th { "Dead since" } th { "Kind" } th { "Job key" } th.num { "Attempts" }
                        th { "Last error" } th { "Payload" } th { "" }
                    } }
                    tbody {
                        @for letter in &newest {
                            tr {
                                td.nowrap { a href=(queue_link(&name, "/dead/letter", &[("id", &letter.id)])) { (when(letter.dead_since)) } }
                                td { (letter.kind) }
                                td.key { a href=(queue_link(&name, "/job", &[("key", &letter.key)])) title=(letter.key) { (cut(&letter.key, 8)) } }
                                td.num { (letter.attempts) }
                                td.error { (cut(&letter.error, 200)) }
                                td { code { (cut(&letter.payload, 120)) } }
                                td.actions {
                                    @if !app.read_only {
                                        a.button href=(action("requeue", ("id", &letter.id))) { "Re-queue" }
                                        " "
                                        a.button.danger href=(action("delete", ("id", &letter.id))) { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}
