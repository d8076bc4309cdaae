//! What a consumer says about itself in its heartbeat, as an operator reads it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A consumer's heartbeat, as it last wrote it: where it runs, and when Redis last heard
/// from it. Consumers write it each third of their visibility timeout, whatever they are
/// doing; `XINFO`'s idle time only counts from the last read, and a consumer whose workers
/// are all busy does not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsumerPresence {
    /// The machine it runs on.
    pub host: String,
    /// Its process id there.
    pub pid: u32,
    /// The async runtime it runs on (`tokio`, `async-std`, `smol`, or its executor's crate).
    pub runtime: String,
    /// Its local workers.
    pub workers: usize,
    /// When it first announced itself (by Redis's clock).
    pub started: SystemTime,
    /// How long ago Redis last heard from it, in milliseconds (by Redis's clock alone: no
    /// skew between machines).
    pub last_seen_ms: u64,
    /// How often it announces itself, in milliseconds.
    pub heartbeat_ms: u64,
    /// Its pool-redis version.
    pub version: String,
}

/// Heartbeats missed before a consumer looks dead: three is its whole visibility timeout,
/// after which its held entries are reclaimable anyway.
const MISSED_BEATS: u64 = 3;

impl ConsumerPresence {
    /// Whether it has missed its last three heartbeats (a whole visibility timeout): it
    /// crashed, is frozen, or lost Redis; the others reclaim what it held.
    pub fn looks_dead(&self) -> bool {
        self.last_seen_ms > self.heartbeat_ms.saturating_mul(MISSED_BEATS)
    }

    /// How long it has run, by Redis's clock, as of the snapshot.
    pub fn up_for(&self, now: SystemTime) -> Duration {
        now.duration_since(self.started).unwrap_or_default()
    }

    /// Reads a presence as a consumer wrote it; `None` for anything else (a field an operator
    /// wrote by hand, or a consumer of an earlier version).
    pub(crate) fn parse(written: &str, now_ms: u64) -> Option<Self> {
        #[derive(Deserialize)]
        struct Written {
            host: String,
            pid: u32,
            runtime: String,
            workers: usize,
            heartbeat_ms: u64,
            version: String,
            started_ms: f64,
            seen_ms: f64,
        }
        let written: Written = serde_json::from_str(written).ok()?;
        let ms = |value: f64| (value.is_finite() && value >= 0.0).then_some(value as u64);
        let (started_ms, seen_ms) = (ms(written.started_ms)?, ms(written.seen_ms)?);
        Some(Self {
            host: written.host,
            pid: written.pid,
            runtime: written.runtime,
            workers: written.workers,
            started: UNIX_EPOCH + Duration::from_millis(started_ms),
            last_seen_ms: now_ms.saturating_sub(seen_ms),
            heartbeat_ms: written.heartbeat_ms,
            version: written.version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ConsumerPresence;

    const WRITTEN: &str = r#"{"host":"box","pid":7,"runtime":"tokio","workers":16,"heartbeat_ms":10000,"version":"0.1.0","started_ms":1000,"seen_ms":5000}"#;

    #[test]
    fn a_heartbeat_reads_back_and_ages_by_redis_clock() {
        let presence = ConsumerPresence::parse(WRITTEN, 35_000).unwrap();
        assert_eq!((presence.host.as_str(), presence.pid), ("box", 7));
        assert_eq!(presence.last_seen_ms, 30_000);
        assert!(!presence.looks_dead());
        assert!(
            ConsumerPresence::parse(WRITTEN, 35_001)
                .unwrap()
                .looks_dead()
        );
    }

    #[test]
    fn anything_else_is_no_presence() {
        for written in ["", "<script>", "{}", r#"{"host":1}"#, "[1,2]"] {
            assert_eq!(ConsumerPresence::parse(written, 0), None, "{written}");
        }
    }
}
