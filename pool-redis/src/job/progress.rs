//! A running job's progress: reported from its context as a number or small JSON, kept per
//! job in a short stream in Redis, in order, and read by a producer that waits on the job's
//! key (or by an operator looking at it).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::store::connection::Connection;
use redis::{RedisResult, Value};
use uuid::Uuid;

use crate::QueueError;
use crate::store::server::Server;

/// The most reports kept per job: older ones are trimmed (approximately, as Redis trims).
const KEPT: usize = 100;

/// How long a job's progress is kept after its last report when the consumer keeps no
/// outcomes.
pub const PROGRESS_KEPT: Duration = Duration::from_secs(3600);

/// One report of a job's progress.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Progress {
    /// What the job reported.
    pub value: serde_json::Value,
    /// When Redis took it.
    pub at: SystemTime,
    /// The report's id in the job's progress stream: a watch goes on after it.
    pub id: String,
}

/// Where a job's context writes its progress.
#[derive(Clone)]
pub(crate) struct ProgressSink {
    pub(crate) connection: Connection,
    /// The queue's progress key prefix: the job key follows.
    pub(crate) prefix: String,
    /// Kept this long after the last report: as long as the outcome, if it is kept.
    pub(crate) kept_ms: u64,
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressSink")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ProgressSink {
    /// Adds `value` to job `key`'s progress, and keeps it for `kept_ms` from now.
    pub(crate) async fn report(&self, key: Uuid, value: &str) -> Result<(), QueueError> {
        let stream = format!("{}{key}", self.prefix);
        let mut pipe = redis::pipe();
        pipe.cmd("XADD")
            .arg(&stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(KEPT)
            .arg("*")
            .arg("value")
            .arg(value)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&stream)
            .arg(self.kept_ms)
            .ignore();
        pipe.query_async::<()>(&mut self.connection.clone()).await?;
        Ok(())
    }
}

/// A job's progress reports, read in order as they come; from
/// [`Producer::watch_progress`](crate::Producer::watch_progress).
#[must_use = "a watch reads nothing until `next` is awaited"]
pub struct ProgressWatch {
    /// A connection of its own: a read blocks on the server.
    pub(crate) connection: Connection,
    pub(crate) stream: String,
    /// The last report read: the next read starts after it.
    pub(crate) after: String,
}

impl std::fmt::Debug for ProgressWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressWatch")
            .field("stream", &self.stream)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl ProgressWatch {
    /// The next reports (every one kept since the last read, in order; at first, every one
    /// kept), waiting up to `timeout` for one: empty if none came.
    ///
    /// # Errors
    ///
    /// [`QueueError`] if Redis cannot be reached, or a report is not JSON.
    pub async fn next(&mut self, timeout: Duration) -> Result<Vec<Progress>, QueueError> {
        let reply: Value = redis::cmd("XREAD")
            .arg("BLOCK")
            // 0 blocks forever: the shortest wait Redis knows instead.
            .arg(
                u64::try_from(timeout.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )
            .arg("STREAMS")
            .arg(&self.stream)
            .arg(&self.after)
            .query_async(&mut self.connection)
            .await?;
        let reports = parse_read(&reply)?;
        if let Some(last) = reports.last() {
            self.after.clone_from(&last.id);
        }
        Ok(reports)
    }
}

/// Opens a watch of `stream`, from its start.
pub(crate) fn watch(server: &Server, stream: String) -> RedisResult<ProgressWatch> {
    Ok(ProgressWatch {
        connection: server.blocking()?,
        stream,
        after: "0-0".to_owned(),
    })
}

/// The reports in an `XREAD` reply of one stream: `[[stream, entries]]` (a map in RESP3),
/// or nil when none came.
fn parse_read(reply: &Value) -> Result<Vec<Progress>, QueueError> {
    let entries = match reply {
        Value::Array(streams) => match streams.first() {
            Some(Value::Array(stream)) if stream.len() == 2 => &stream[1],
            _ => return Ok(Vec::new()),
        },
        Value::Map(streams) => match streams.first() {
            Some((_, entries)) => entries,
            None => return Ok(Vec::new()),
        },
        _ => return Ok(Vec::new()),
    };
    parse_entries(entries)
}

/// The latest report of job `key` of `queue`, if it made one and it is still kept.
pub(crate) async fn latest(
    connection: &mut crate::store::connection::Connection,
    queue: &crate::Queue,
    key: &uuid::Uuid,
) -> Result<Option<Progress>, QueueError> {
    let reply: Value = redis::cmd("XREVRANGE")
        .arg(queue.progress_key(key))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(connection)
        .await?;
    Ok(parse_entries(&reply)?.pop())
}

/// The reports among stream entries, as `XRANGE` (and `XREAD`, per stream) give them.
pub(crate) fn parse_entries(entries: &Value) -> Result<Vec<Progress>, QueueError> {
    let Value::Array(entries) = entries else {
        return Ok(Vec::new());
    };
    entries.iter().filter_map(report).collect()
}

/// One entry `[id, [field, value, ...]]` as a report, if it holds one.
fn report(entry: &Value) -> Option<Result<Progress, QueueError>> {
    let Value::Array(parts) = entry else {
        return None;
    };
    let [Value::BulkString(id), Value::Array(fields)] = parts.as_slice() else {
        return None;
    };
    let id = String::from_utf8_lossy(id).into_owned();
    let value = fields.chunks(2).find_map(|pair| match pair {
        [Value::BulkString(name), Value::BulkString(value)] if name == b"value" => Some(value),
        _ => None,
    })?;
    let ms: u64 = id.split('-').next()?.parse().ok()?;
    Some(
        serde_json::from_slice(value)
            .map(|value| Progress {
                value,
                at: UNIX_EPOCH + Duration::from_millis(ms),
                id,
            })
            .map_err(QueueError::from),
    )
}
