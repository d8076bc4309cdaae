//! Traces across processes, against a real redis-server, on every runtime: a job enqueued
//! inside a span runs in a span of the same trace, a child of the producer's, whether it
//! was enqueued now, for later, or as a unique job. The context travels only through the
//! entry in Redis: the job runs on the pool's workers, where the producer's span is not
//! current.
#![cfg(feature = "opentelemetry")]

mod support;

use std::sync::OnceLock;
use std::time::Duration;

use futures_lite::future;
use opentelemetry::trace::{SpanId, TraceContextExt, TraceId, TracerProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use pool_core::testkit::Harness;
use pool_redis::Uniqueness;
use support::{Probe, Setup, drained, eventually, probe_consumer, ran};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// Every span ended in this process, recorded once for all tests (the subscriber is the
/// process's: the jobs run on the runtimes' threads).
fn exported() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("pool-redis-tests");
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        exporter
    })
}

/// The job spans of trace `trace`, with their parents.
fn job_spans(trace: TraceId) -> Vec<SpanData> {
    exported()
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| span.name == "job" && span.span_context.trace_id() == trace)
        .collect()
}

/// A job enqueued in the span `enqueue`, one enqueued for later and a unique one each run
/// in a `job` span whose trace is the producer's and whose parent is the producer's span.
pub async fn a_jobs_span_continues_the_producers_trace<H: Harness>() {
    exported();
    let Some(setup) = Setup::start::<H>("traces").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let enqueue = tracing::info_span!("enqueue");
    let (trace, parent): (TraceId, SpanId) = {
        let context = enqueue.context();
        let span = context.span();
        let span = span.span_context();
        (span.trace_id(), span.span_id())
    };
    assert_ne!(trace, TraceId::INVALID, "the producer's span has a context");
    async {
        producer.enqueue(&Probe::new(&test)).await.unwrap();
        producer
            .enqueue_in(&Probe::new(&test), Duration::from_millis(10))
            .await
            .unwrap();
        producer
            .enqueue_unique(&Probe::new(&test), &test, Uniqueness::UntilFinished)
            .await
            .unwrap();
    }
    .instrument(enqueue)
    .await;
    let consumer = probe_consumer::<H>(&url, &queue)
        .promote_every(Duration::from_millis(20))
        .connect()
        .await
        .unwrap();
    let body = async {
        eventually("the three jobs to run", || drained(&url, &queue)).await;
        eventually("their spans to end", || async {
            job_spans(trace).len() == 3
        })
        .await;
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 3);
    for span in job_spans(trace) {
        assert_eq!(span.parent_span_id, parent, "{span:?}");
        assert!(span.parent_span_is_remote, "{span:?}");
    }
}

on_every_runtime!(a_jobs_span_continues_the_producers_trace);
