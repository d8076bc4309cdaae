//! What every page shares: the frame, links, numbers and times as people read them, the
//! throughput chart, and errors.

use std::fmt::Write as _;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// A page: its title, and its content inside the dashboard's frame.
pub(super) fn page(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · pool-redis" }
                link rel="stylesheet" href="/static/dashboard.css";
                script src="/static/dashboard.js" defer {}
            }
            body {
                header {
                    a.brand href="/" { "pool-redis" }
                    nav { a href="/" { "Queues" } " " a href="/metrics" { "Metrics" } }
                }
                main {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// `text` as one URL component: every byte but the unreserved ones percent-encoded, so a
/// queue named `a/b?c&d` stays one value.
pub(super) fn encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// The queue a page is about, from its query (`?name=`).
#[derive(Debug, serde::Deserialize)]
pub(super) struct QueueName {
    pub(super) name: String,
}

/// The link to queue `name`'s page, or one of its pages (`page` is empty or starts with `/`),
/// with more parameters. The name travels in the query, not the path: a queue named `..`
/// would be a dot segment there, which browsers resolve away.
pub(super) fn queue_link(name: &str, page: &str, params: &[(&str, &str)]) -> String {
    let mut link = format!("/queue{page}?name={}", encoded(name));
    for (key, value) in params {
        let _ = write!(link, "&{key}={}", encoded(value));
    }
    link
}

/// A duration as people say it: 850 ms, 12 s, 3 min, 2 h 5 min, 3 d.
pub(super) fn spoken(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0 => format!("{} ms", duration.as_millis()),
        1..60 => format!("{seconds} s"),
        60..3600 => format!("{} min", seconds / 60),
        3600..86_400 => format!("{} h {} min", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{} d", seconds / 86_400),
    }
}

/// A point in time as RFC 3339, to the second.
pub(super) fn when(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Text cut to `most` characters, marked where it was cut.
pub(super) fn cut(text: &str, most: usize) -> String {
    match text.char_indices().nth(most) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The throughput chart's size, in the SVG's own units.
const CHART_WIDTH: f64 = 300.0;
const CHART_HEIGHT: f64 = 48.0;

/// A line chart of `series` (oldest first), with the script's hook to redraw it live.
pub(super) fn chart(queue: &str, series: &[f64]) -> Markup {
    html! {
        svg.chart data-chart=(queue) viewBox={"0 0 " (CHART_WIDTH) " " (CHART_HEIGHT)} preserveAspectRatio="none" role="img" aria-label="jobs per second, last minutes" {
            polyline points=(points(series)) {}
        }
    }
}

/// The polyline's points for `series`, scaled to the chart (the same sums the script does).
fn points(series: &[f64]) -> String {
    let highest = series.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    #[allow(clippy::cast_precision_loss)]
    let step = CHART_WIDTH / (series.len().max(2) - 1) as f64;
    let mut points = String::new();
    for (index, value) in series.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = index as f64 * step;
        let y = CHART_HEIGHT - value / highest * (CHART_HEIGHT - 2.0);
        let _ = write!(points, "{x:.1},{y:.1} ");
    }
    points
}

/// An error as a page: what failed, each cause after it. Errors from pool-redis name Redis
/// by its URL without the password.
#[derive(Debug)]
pub(super) struct PageError {
    status: StatusCode,
    text: String,
}

impl PageError {
    pub(super) fn new(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            text: text.into(),
        }
    }
}

impl<E: std::error::Error> From<E> for PageError {
    fn from(error: E) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, with_causes(&error))
    }
}

/// An error and each of its causes, on one line.
pub(super) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = if matches!(
            self.status,
            StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
        ) {
            "Redis did not answer as it should"
        } else {
            "Not done"
        };
        let body = page(
            title,
            html! { p.flash.error { (self.text) } p { a href="/" { "Back to the queues" } } },
        );
        (self.status, body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_keeps_its_slashes_to_itself() {
        assert_eq!(encoded("mail"), "mail");
        assert_eq!(encoded("a/b?c d&e"), "a%2Fb%3Fc%20d%26e");
        assert_eq!(encoded("é"), "%C3%A9");
    }

    #[test]
    fn a_queue_link_carries_its_name_in_the_query() {
        assert_eq!(queue_link("..", "", &[]), "/queue?name=..");
        assert_eq!(
            queue_link("a&b", "/dead", &[("id", "1-0")]),
            "/queue/dead?name=a%26b&id=1-0"
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(spoken(Duration::from_millis(850)), "850 ms");
        assert_eq!(spoken(Duration::from_secs(12)), "12 s");
        assert_eq!(spoken(Duration::from_secs(7500)), "2 h 5 min");
    }

    #[test]
    fn text_is_cut_on_a_character() {
        assert_eq!(cut("héllo", 2), "hé…");
        assert_eq!(cut("hi", 5), "hi");
    }

    #[test]
    fn a_chart_spans_its_width() {
        let points = points(&[0.0, 10.0, 5.0]);
        assert!(
            points.starts_with("0.0,48.0 150.0,2.0 300.0,25.0"),
            "{points}"
        );
        assert!(self::points(&[]).is_empty());
    }
}
