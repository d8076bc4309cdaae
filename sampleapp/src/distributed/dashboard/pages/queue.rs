//! `/queue/{name}`: one queue's numbers and its consumers, each with its heartbeat, and a
//! form to find a job by its key.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use maud::{Markup, html};
use pool_redis::Queue;

use super::super::app::App;
use super::super::layout::{PageError, QueueName, page, queue_link, spoken, when};

/// The page.
pub(in super::super) async fn show(
    State(app): State<Arc<App>>,
    Query(QueueName { name }): Query<QueueName>,
) -> Result<Markup, PageError> {
    let queue = Queue::new(&name);
    let stats = app.inspector().await?.stats(&queue).await?;
    let rate = app.rates.acknowledged_per_second(&name).last().copied();
    let dead_rate = app.rates.dead_lettered_per_second(&name).last().copied();
    Ok(page(
        &format!("Queue {name}"),
        html! {
            dl.numbers {
                dt { "In the stream" } dd { (stats.length) }
                dt { "Waiting" } dd { (stats.undelivered) }
                dt { "Held by consumers" } dd { (stats.pending.saturating_sub(stats.released)) }
                dt { "Released" } dd { (stats.released) }
                dt { "Delayed" } dd { (stats.delayed) " (" (stats.retrying) " retries)" }
                dt { "Dead letters" } dd { a href=(queue_link(&name, "/dead", &[])) { (stats.dead_letters) } }
                dt { "Acknowledged" } dd { (stats.acknowledged_total) " since created" @if let Some(rate) = rate { ", " (format!("{rate:.0}")) "/s now" } }
                dt { "Dead-lettered" } dd { (stats.dead_lettered_total) " since created" @if let Some(rate) = dead_rate { ", " (format!("{rate:.1}")) "/s now" } }
                @if let Some(due) = stats.next_due {
                    dt { "Next delayed job due" } dd { (when(due)) }
                }
            }
            h2 { "Consumers" }
            @if stats.consumers.is_empty() {
                p { "No consumer in the group." }
            } @else {
                table.consumers {
                    thead { tr {
                        th { "Consumer" } th { "Host" } th.num { "PID" } th { "Runtime" } th.num { "Workers" }
                        th.num { "Holds" } th.num { "Idle" } th.num { "Up for" } th.num { "Last seen" } th { "State" }
                    } }
                    tbody {
                        @for consumer in &stats.consumers {
                            @let presence = consumer.presence.as_ref();
                            tr.dead[consumer.looks_dead()] {
                                td { (consumer.name) }
                                td { (presence.map_or("?", |p| p.host.as_str())) }
                                td.num { (presence.map_or_else(|| "?".to_owned(), |p| p.pid.to_string())) }
                                td { (presence.map_or("?", |p| p.runtime.as_str())) }
                                td.num { (presence.map_or_else(|| "?".to_owned(), |p| p.workers.to_string())) }
                                td.num { (consumer.pending) }
                                td.num { (spoken(Duration::from_millis(consumer.idle_ms))) }
                                td.num { (presence.map_or_else(|| "?".to_owned(), |p| spoken(p.up_for(stats.taken_at)))) }
                                td.num { (presence.map_or_else(|| "no heartbeat".to_owned(), |p| format!("{} ago", spoken(Duration::from_millis(p.last_seen_ms))))) }
                                td {
                                    @if consumer.looks_dead() {
                                        span.badge.dead title="silent for three heartbeats: crashed, frozen, or cut off from Redis; what it holds is reclaimed by the others" { "looks dead" }
                                    } @else if presence.is_none() {
                                        span.badge title="no heartbeat: an older consumer, or one not running yet" { "unknown" }
                                    } @else {
                                        span.badge.ok { "alive" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Find a job" }
            // A GET form drops its action's query: the name goes as a field.
            form method="get" action="/queue/job" {
                input type="hidden" name="name" value=(name);
                label { "Job key " input type="text" name="key" size="40" placeholder="a job's UUID" required; }
                " "
                button type="submit" { "Find" }
            }
        },
    ))
}
