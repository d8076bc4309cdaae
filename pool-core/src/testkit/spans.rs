//! A `tracing` subscriber that records which span is whose parent: enough to check that a
//! job's span continues the trace it was submitted from.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

/// What the subscriber saw of one span.
#[derive(Clone, Debug)]
pub struct SeenSpan {
    pub name: &'static str,
    pub parent: Option<u64>,
    metadata: &'static Metadata<'static>,
    /// The span's fields, as `name=value` text.
    pub fields: String,
}

/// Every span of the process, by id. Installed once, globally: jobs make their spans on the
/// runtime's threads, which a thread-local subscriber would not reach.
#[derive(Debug, Default)]
pub struct SpanRecorder {
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, SeenSpan>>,
    /// Warnings and errors, as `name=value` text.
    warnings: Mutex<Vec<String>>,
}

thread_local! {
    static ENTERED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

impl SpanRecorder {
    /// The process-wide recorder, installed on first use.
    pub fn installed() -> &'static SpanRecorder {
        static RECORDER: OnceLock<&'static SpanRecorder> = OnceLock::new();
        RECORDER.get_or_init(|| {
            let recorder: &'static SpanRecorder = Box::leak(Box::default());
            let _ = tracing::subscriber::set_global_default(Forward(recorder));
            recorder
        })
    }

    /// The spans seen so far.
    pub fn spans(&self) -> HashMap<u64, SeenSpan> {
        self.spans.lock().unwrap().clone()
    }

    /// The warnings (and errors) logged so far, as text.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().unwrap().clone()
    }
}

/// The subscriber itself: forwards to the recorder.
struct Forward(&'static SpanRecorder);

/// Writes a span's fields as text.
struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Forward {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_span() || *metadata.level() <= Level::WARN
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(Level::DEBUG.into())
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.0.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let parent = if attributes.is_root() {
            None
        } else if let Some(parent) = attributes.parent() {
            Some(parent.into_u64())
        } else {
            ENTERED.with(|entered| entered.borrow().last().copied())
        };
        let mut fields = String::new();
        attributes.record(&mut Fields(&mut fields));
        let seen = SeenSpan {
            name: attributes.metadata().name(),
            parent,
            metadata: attributes.metadata(),
            fields,
        };
        self.0.spans.lock().unwrap().insert(id, seen);
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut text = String::new();
        event.record(&mut Fields(&mut text));
        self.0.warnings.lock().unwrap().push(text);
    }

    fn enter(&self, span: &Id) {
        ENTERED.with(|entered| entered.borrow_mut().push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        ENTERED.with(|entered| {
            let mut entered = entered.borrow_mut();
            if let Some(at) = entered.iter().rposition(|id| *id == span.into_u64()) {
                entered.remove(at);
            }
        });
    }

    fn current_span(&self) -> Current {
        let Some(id) = ENTERED.with(|entered| entered.borrow().last().copied()) else {
            return Current::none();
        };
        match self.0.spans.lock().unwrap().get(&id) {
            Some(seen) => Current::new(Id::from_u64(id), seen.metadata),
            None => Current::none(),
        }
    }
}
