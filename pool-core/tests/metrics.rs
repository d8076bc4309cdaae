//! The `metrics` feature: the stats and the per-job histograms reach whatever recorder the
//! application installed. A recorder is global to the process, so this is a test binary of
//! its own.
#![cfg(feature = "metrics")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use pool_tokio::{BoxError, WorkerPool, job_fn};

/// One value per metric: the last absolute value or gauge, or the count of histogram records.
#[derive(Default)]
struct Seen(Mutex<HashMap<String, Arc<Cell>>>);

#[derive(Default)]
struct Cell(AtomicU64);

impl CounterFn for Cell {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::SeqCst);
    }
}

impl GaugeFn for Cell {
    fn increment(&self, _: f64) {}
    fn decrement(&self, _: f64) {}
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn set(&self, value: f64) {
        self.0.store(value as u64, Ordering::SeqCst);
    }
}

impl HistogramFn for Cell {
    fn record(&self, value: f64) {
        assert!(value >= 0.0);
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The recorder the test installs: every metric by `name{label=value,...}`.
#[derive(Clone, Default)]
struct Recording(Arc<Seen>);

impl Recording {
    fn cell(&self, key: &Key) -> Arc<Cell> {
        let labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        let mut seen = self.0.0.lock().unwrap();
        Arc::clone(seen.entry(name).or_default())
    }

    fn value(&self, name: &str) -> Option<u64> {
        let seen = self.0.0.lock().unwrap();
        seen.get(name).map(|cell| cell.0.load(Ordering::SeqCst))
    }
}

impl Recorder for Recording {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.cell(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.cell(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.cell(key))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_and_job_histograms_reach_the_recorder() {
    let recording = Recording::default();
    metrics::set_global_recorder(recording.clone()).expect("the only recorder");

    let pool = WorkerPool::<u32>::builder()
        .name("exported")
        .workers(3)
        .timings(true)
        .build()
        .unwrap();
    pool.start().unwrap();
    let mut handles = Vec::new();
    for n in 0..20_u32 {
        let job = job_fn("n", move |_ctx| async move {
            if n % 5 == 0 {
                Err::<u32, BoxError>("every fifth fails".into())
            } else {
                Ok(n)
            }
        });
        handles.push(pool.submit(job).await.unwrap());
    }
    for handle in handles {
        let _ = handle.await;
    }
    pool.record_metrics();
    let at = |name: &str| recording.value(&format!("{name}{{pool=exported}}"));
    assert_eq!(at("pool_jobs_submitted_total"), Some(20));
    assert_eq!(at("pool_jobs_completed_total"), Some(16));
    assert_eq!(at("pool_jobs_failed_total"), Some(4));
    assert_eq!(at("pool_jobs_queued"), Some(0));
    assert_eq!(at("pool_workers"), Some(3));
    assert_eq!(at("pool_workers_live"), Some(3));
    assert_eq!(at("pool_workers_min"), Some(3));
    assert_eq!(at("pool_workers_max"), Some(3));
    assert_eq!(at("pool_job_queue_wait_seconds"), Some(20));
    assert_eq!(at("pool_job_run_seconds"), Some(20));
    pool.shutdown().await.unwrap();
}
