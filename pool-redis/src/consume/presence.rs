//! A consumer's heartbeat: what it is (host, process, runtime, workers) and when Redis last
//! heard from it, in the queue's presence hash, so that an operator can tell a busy consumer
//! from a dead one. `XINFO`'s idle time cannot: it counts from the last read, and a consumer
//! whose workers are all busy on long jobs does not read.

use std::sync::LazyLock;
use std::time::Duration;

use pool_core::Executor;
use redis::Script;
use serde::Serialize;

use crate::consume::queue_state::QueueState;
use crate::store::scripts::{NOW_MS, script};

/// Writes a consumer's presence, stamped by Redis's clock (`seen_ms`), keeping the time it
/// was first written (`started_ms`). KEYS: presence. ARGV: consumer, its description (a JSON
/// object). Returns Redis's now.
static ANNOUNCE: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{NOW_MS}{}",
        r"
local now = now_ms()
local info = cjson.decode(ARGV[2])
local started = now
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  -- Whatever the field holds (an operator may have written anything): only a number counts.
  local ok, previous = pcall(cjson.decode, old)
  if ok and type(previous) == 'table' and type(previous['started_ms']) == 'number' then
    started = previous['started_ms']
  end
end
info['started_ms'] = started
info['seen_ms'] = now
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(info))
return now
"
    ))
});

/// What a consumer says about itself.
#[derive(Debug, Serialize)]
pub(crate) struct Description {
    host: String,
    pid: u32,
    runtime: String,
    workers: usize,
    /// How often it announces itself: a consumer unheard of for several periods looks dead.
    heartbeat_ms: u64,
    version: &'static str,
}

impl Description {
    pub(crate) fn of<E>(workers: usize, heartbeat: Duration) -> Self {
        Self {
            host: host_name(),
            pid: std::process::id(),
            runtime: runtime_name::<E>(),
            workers,
            heartbeat_ms: u64::try_from(heartbeat.as_millis()).unwrap_or(u64::MAX),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl<E: Executor> QueueState<E> {
    /// Announces this consumer, once (a failure is only logged: the heartbeat is for people,
    /// and the next round tries again).
    pub(crate) async fn announce(&self) {
        let mut invocation = ANNOUNCE.prepare_invoke();
        invocation
            .key(self.queue.presence_key())
            .arg(&self.name)
            .arg(&*self.description);
        if let Err(error) = invocation
            .invoke_async::<u64>(&mut self.commands.clone())
            .await
        {
            tracing::debug!(queue = %self.queue.name(), %error, "could not announce the consumer");
        }
    }
}

/// This machine's name: `HOSTNAME`, else `/etc/hostname`, else `host`.
pub(crate) fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

/// The runtime behind executor type `E`, by its crate: `pool_tokio::..` is `tokio`.
fn runtime_name<E>() -> String {
    let crate_name = std::any::type_name::<E>()
        .split("::")
        .next()
        .unwrap_or_default();
    crate_name
        .strip_prefix("pool_")
        .unwrap_or(crate_name)
        .replace('_', "-")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_runtime_is_named_by_its_executors_crate() {
        assert_eq!(super::runtime_name::<pool_tokio::TokioExecutor>(), "tokio");
        assert_eq!(
            super::runtime_name::<pool_async_std::AsyncStdExecutor>(),
            "async-std"
        );
        assert_eq!(super::runtime_name::<String>(), "alloc");
    }
}
