//! `/`: every queue on the server, its numbers and its throughput, kept live by the page's
//! script from `/api/overview`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use maud::{Markup, html};
use pool_redis::{Queue, QueueStats};
use serde::Serialize;

use super::super::app::App;
use super::super::layout::{PageError, chart, page, queue_link};

/// One queue's row.
#[derive(Debug, Serialize)]
pub(in super::super) struct Row {
    name: String,
    length: u64,
    undelivered: u64,
    pending: u64,
    delayed: u64,
    dead_letters: u64,
    consumers: usize,
    consumers_looking_dead: usize,
    /// Acknowledged jobs per second, by the last two samples.
    jobs_per_second: f64,
    /// Acknowledged jobs per second between samples, oldest first.
    series: Vec<f64>,
    /// Why its numbers could not be read (a stream named like a queue's that is another
    /// program's, say): the other queues still show.
    error: Option<String>,
}

impl Row {
    /// A queue whose numbers could not be read, and why.
    fn unreadable(name: String, error: &pool_redis::QueueError) -> Self {
        Self {
            error: Some(super::super::layout::with_causes(error)),
            name,
            length: 0,
            undelivered: 0,
            pending: 0,
            delayed: 0,
            dead_letters: 0,
            consumers: 0,
            consumers_looking_dead: 0,
            jobs_per_second: 0.0,
            series: Vec::new(),
        }
    }
}

/// What `/api/overview` answers: every queue's row.
#[derive(Debug, Serialize)]
pub(in super::super) struct Overview {
    queues: Vec<Row>,
}

async fn rows(app: &App) -> Result<Vec<Row>, PageError> {
    let inspector = app.inspector().await?;
    let mut rows = Vec::new();
    for name in app.queue_names().await? {
        let series = app.rates.acknowledged_per_second(&name);
        let stats: QueueStats = match inspector.stats(&Queue::new(&name)).await {
            Ok(stats) => stats,
            Err(error) => {
                rows.push(Row::unreadable(name, &error));
                continue;
            }
        };
        rows.push(Row {
            error: None,
            jobs_per_second: series.last().copied().unwrap_or(0.0),
            series,
            length: stats.length,
            undelivered: stats.undelivered,
            pending: stats.pending,
            delayed: stats.delayed,
            dead_letters: stats.dead_letters,
            consumers: stats.consumers.len(),
            consumers_looking_dead: stats.consumers.iter().filter(|c| c.looks_dead()).count(),
            name,
        });
    }
    Ok(rows)
}

/// The numbers, for the page's script.
pub(in super::super) async fn api(
    State(app): State<Arc<App>>,
) -> Result<Json<Overview>, PageError> {
    Ok(Json(Overview {
        queues: rows(&app).await?,
    }))
}

/// The page.
pub(in super::super) async fn show(State(app): State<Arc<App>>) -> Result<Markup, PageError> {
    let rows = rows(&app).await?;
    Ok(page(
        "Queues",
        html! {
            @if rows.is_empty() {
                p { "No queue on this server yet: a producer's first enqueue makes one." }
            } @else {
                table.queues {
                    thead { tr {
                        th { "Queue" } th.num { "In the stream" } th.num { "Waiting" } th.num { "Held" }
                        th.num { "Delayed" } th.num { "Dead letters" } th.num { "Consumers" }
                        th.num { "Jobs/s" } th { "Last 10 minutes" }
                    } }
                    tbody {
                        @for row in &rows {
                            @if let Some(error) = &row.error {
                                tr {
                                    td { (row.name) }
                                    td.error colspan="8" { (error) }
                                }
                            } @else {
                            tr data-queue=(row.name) {
                                td { a href=(queue_link(&row.name, "", &[])) { (row.name) } }
                                td.num data-field="length" { (row.length) }
                                td.num data-field="undelivered" { (row.undelivered) }
                                td.num data-field="pending" { (row.pending) }
                                td.num data-field="delayed" { (row.delayed) }
                                td.num {
                                    a data-field="dead_letters" href=(queue_link(&row.name, "/dead", &[])) { (row.dead_letters) }
                                }
                                td.num {
                                    span data-field="consumers" { (row.consumers) }
                                    " "
                                    span.badge.dead data-field="consumers_looking_dead" hidden[row.consumers_looking_dead == 0] {
                                        (row.consumers_looking_dead)
                                    }
                                }
                                td.num data-field="jobs_per_second" { (format!("{:.0}", row.jobs_per_second)) }
                                td { (chart(&row.name, &row.series)) }
                            }
                            }
                        }
                    }
                }
                p.hint { "Live: the numbers and charts update every two seconds. A red badge counts the consumers that look dead." }
            }
        },
    ))
}
