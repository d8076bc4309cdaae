//! A running job's progress reports, against a real redis-server, on every runtime: a
//! producer watching the job's key reads every report, in order, while the job runs.

mod support;

use std::time::Duration;

use futures_lite::future;
use pool_core::testkit::Harness;
use support::{Probe, Setup, eventually, open_gate, probe_consumer, ran, runs};

/// A job reports 1 to 200 while a producer watches its key: the watch reads every report,
/// in order, the latest is 200, and a job that reported nothing has no progress.
pub async fn a_watching_producer_reads_every_report_in_order<H: Harness>() {
    let Some(setup) = Setup::start::<H>("progress").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let producer = &setup.producer;
    let gate = format!("{test}/gate");
    let reporting = Probe {
        progress_steps: 200,
        // It ends only once the test has read every report: the watch reads while it runs.
        gate: Some(gate.clone()),
        ..Probe::new(&test)
    };
    let key = producer.enqueue(&reporting).await.unwrap();
    let quiet = producer.enqueue(&Probe::new(&test)).await.unwrap();
    let mut watch = producer.watch_progress(key).unwrap();
    let consumer = probe_consumer::<H>(&url, &queue).connect().await.unwrap();
    let body = async {
        let mut seen: Vec<u64> = Vec::new();
        while seen.len() < 200 {
            let reports = watch.next(Duration::from_secs(30)).await.unwrap();
            assert!(!reports.is_empty(), "no report in 30 s after {seen:?}");
            seen.extend(reports.iter().map(|report| report.value.as_u64().unwrap()));
        }
        assert_eq!(seen, (1..=200).collect::<Vec<u64>>());
        let latest = producer.progress(key).await.unwrap().unwrap();
        assert_eq!(latest.value, 200);
        open_gate(&gate);
        eventually("both jobs to run", || async { runs(&test).len() == 2 }).await;
        assert_eq!(producer.progress(quiet).await.unwrap(), None);
        consumer.shutdown().await
    };
    let (_, stats) = future::zip(ran(&consumer), body).await;
    assert_eq!(stats.acknowledged, 2);
}

on_every_runtime!(a_watching_producer_reads_every_report_in_order);
