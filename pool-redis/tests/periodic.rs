//! Periodic jobs against a real redis-server, on every runtime: consumers that register one
//! schedule enqueue each tick once among them, through a consumer's stop and restart.

mod support;

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_lite::future;
use pool_core::testkit::Harness;
use pool_redis::{ConfigError, ConsumerBuilder, Queue, QueueError, Schedule};
use support::{Probe, Setup, eventually, probe_consumer, ran, runs};

const TICK: Duration = Duration::from_millis(300);

fn consumer<H: Harness>(url: &str, queue: &Queue, probe: &Probe) -> ConsumerBuilder<H::Executor> {
    probe_consumer::<H>(url, queue)
        .promote_every(Duration::from_millis(50))
        .periodic("beat", Schedule::every(TICK).unwrap(), probe)
}

fn tick_ms(at: SystemTime) -> u64 {
    u64::try_from(at.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// Three consumers register a 300 ms schedule; one stops halfway and a new one takes its
/// place. Every tick's job ran once: no key twice, and every tick between the first and the
/// last that ran is there.
pub async fn each_tick_runs_once_among_consumers<H: Harness>() {
    let Some(setup) = Setup::start::<H>("periodic").await else {
        return;
    };
    let (url, queue, test) = setup.names();
    let probe = Probe::new(&test);
    let first = consumer::<H>(&url, &queue, &probe).connect().await.unwrap();
    let second = consumer::<H>(&url, &queue, &probe).connect().await.unwrap();
    let leaving = consumer::<H>(&url, &queue, &probe).connect().await.unwrap();
    let joining = consumer::<H>(&url, &queue, &probe).connect().await.unwrap();
    let body = async {
        eventually("ten ticks to run", || async { runs(&test).len() >= 10 }).await;
        leaving.shutdown_now().await;
        let seen = runs(&test).len();
        let rejoined = async {
            let _ = joining.run().await;
        };
        let more = async {
            eventually("ten more ticks", || async {
                runs(&test).len() >= seen + 10
            })
            .await;
            for consumer in [&first, &second, &joining] {
                consumer.shutdown().await;
            }
        };
        future::zip(rejoined, more).await;
    };
    let running = future::zip(future::zip(ran(&first), ran(&second)), async {
        let _ = leaving.run().await;
    });
    future::zip(running, body).await;
    let keys: Vec<_> = runs(&test).into_iter().map(|(key, _)| key).collect();
    let distinct: HashSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "a tick ran twice: {keys:?}");
    // Each key is a tick's; the ticks that ran are consecutive.
    let now = tick_ms(SystemTime::now());
    let period = u64::try_from(TICK.as_millis()).unwrap();
    let ticks: Vec<u64> = (0..400)
        .map(|back| (now / period - back) * period)
        .filter(|tick| {
            distinct.contains(
                &queue.periodic_job_key("beat", UNIX_EPOCH + Duration::from_millis(*tick)),
            )
        })
        .collect();
    assert_eq!(
        ticks.len(),
        keys.len(),
        "every key is one of the schedule's ticks"
    );
    let (newest, oldest) = (ticks[0], ticks[ticks.len() - 1]);
    assert_eq!(
        (newest - oldest) / period + 1,
        ticks.len() as u64,
        "a tick was skipped between {oldest} and {newest}"
    );
}

/// A schedule that cannot work, and a periodic job that cannot be encoded, are typed errors.
pub async fn bad_schedules_are_typed_errors<H: Harness>() {
    let Some(setup) = Setup::start::<H>("periodic-bad").await else {
        return;
    };
    let (url, queue, _) = setup.names();
    assert!(Schedule::cron("0 25 * * *").is_err());
    assert!(Schedule::every(Duration::ZERO).is_err());
    /// A job whose payload serde refuses (a map with non-string keys).
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Unencodable(std::collections::HashMap<(u8, u8), u8>);
    impl pool_redis::RemoteJob for Unencodable {
        const KIND: &'static str = "unencodable";
        type Output = ();
        async fn run(self, _ctx: pool_redis::RemoteContext) -> Result<(), pool_redis::BoxError> {
            Ok(())
        }
    }
    let job = Unencodable([((1, 2), 3)].into_iter().collect());
    let refused = probe_consumer::<H>(&url, &queue)
        .periodic("never", Schedule::every(TICK).unwrap(), &job)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, QueueError::Config(ConfigError::PeriodicJob { name, .. }) if name == "never"),
        "{refused:?}"
    );
}

on_every_runtime!(
    each_tick_runs_once_among_consumers,
    bad_schedules_are_typed_errors,
);
