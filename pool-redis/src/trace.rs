//! Traces that cross processes: the producer's current span context travels in each entry
//! as a W3C `traceparent` (with the `opentelemetry` feature), and the consumer's span for
//! the job continues it, so one trace shows enqueue, wait and run on another machine.
//! Without the feature, or with no span context where the job is enqueued, nothing travels;
//! the consumer's span is made either way, and costs next to nothing when no subscriber
//! listens.

use tracing::Span;
use uuid::Uuid;

/// The W3C `traceparent` of the current span, if it has an OpenTelemetry context.
#[cfg(feature = "opentelemetry")]
pub(crate) fn current_traceparent() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let context = Span::current().context();
    let span = context.span();
    let span = span.span_context();
    span.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span.trace_id(),
            span.span_id(),
            span.trace_flags().to_u8()
        )
    })
}

/// Nothing travels without the `opentelemetry` feature.
#[cfg(not(feature = "opentelemetry"))]
pub(crate) fn current_traceparent() -> Option<String> {
    None
}

/// What the consumer's span for one run says of its job.
pub(crate) struct JobSpan<'a> {
    pub(crate) queue: &'a str,
    pub(crate) kind: &'static str,
    pub(crate) key: Uuid,
    pub(crate) attempt: u32,
    /// How long the entry waited in the stream before this run started, in ms.
    pub(crate) waited_ms: u64,
    /// The producer's span context, if it sent one (read with the `opentelemetry` feature).
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    pub(crate) traceparent: Option<&'a str>,
}

impl JobSpan<'_> {
    /// The span the run goes in: a child of the producer's span, where it sent one.
    pub(crate) fn span(&self) -> Span {
        let span = tracing::info_span!(
            "job",
            queue = self.queue,
            kind = self.kind,
            key = %self.key,
            attempt = self.attempt,
            waited_ms = self.waited_ms,
        );
        #[cfg(feature = "opentelemetry")]
        if let Some(parent) = self.traceparent.and_then(remote_context) {
            use tracing_opentelemetry::OpenTelemetrySpanExt;
            let _ = span.set_parent(parent);
        }
        span
    }
}

/// The OpenTelemetry context of a W3C `traceparent` (version 00), if it is one.
#[cfg(feature = "opentelemetry")]
fn remote_context(traceparent: &str) -> Option<opentelemetry::Context> {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };

    let mut parts = traceparent.split('-');
    let (Some("00"), Some(trace), Some(span), Some(flags), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let context = SpanContext::new(
        TraceId::from_hex(trace).ok()?,
        SpanId::from_hex(span).ok()?,
        TraceFlags::new(u8::from_str_radix(flags, 16).ok()?),
        true,
        TraceState::default(),
    );
    context
        .is_valid()
        .then(|| opentelemetry::Context::new().with_remote_span_context(context))
}

#[cfg(all(test, feature = "opentelemetry"))]
mod tests {
    use opentelemetry::trace::TraceContextExt;

    use super::remote_context;

    #[test]
    fn a_traceparent_is_read_and_a_bad_one_is_not() {
        let context =
            remote_context("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let span = context.span();
        let span = span.span_context();
        assert_eq!(
            span.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(span.is_remote() && span.is_sampled());
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-xyz-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(remote_context(bad).is_none(), "{bad:?}");
        }
    }
}
