//! The queue's Lua scripts: each step that must check who holds an entry, or change two keys
//! at once, runs as one script, so that no other client acts in between.
//!
//! Every script that acts on a held entry first asks `XPENDING` who holds it: a consumer whose
//! lease lapsed and whose entry a rival reclaimed must not act on it (a bare `XCLAIM` would
//! steal it back).

use std::sync::LazyLock;

use redis::Script;

/// The owner check every script below starts with, for entry `id`: `nil` unless `consumer`
/// holds it, else the entry's delivery count.
const HOLDER: &str = r"
local function deliveries_if_held(stream, group, id, consumer)
  local pending = redis.call('XPENDING', stream, group, id, id, 1)
  if #pending == 1 and pending[1][2] == consumer then return pending[1][4] end
  return nil
end
";

fn with_holder(body: &str) -> Script {
    Script::new(&format!("{HOLDER}{body}"))
}

/// Renews the lease of held entries (their idle time back to 0, their delivery count
/// unchanged). KEYS: jobs. ARGV: group, consumer, ids... Returns the ids no longer held.
pub(crate) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    with_holder(
        r"
local lost = {}
for i = 3, #ARGV do
  if deliveries_if_held(KEYS[1], ARGV[1], ARGV[i], ARGV[2]) then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
",
    )
});

/// Acknowledges finished entries and deletes them (a stream is never trimmed by length: only
/// finished entries leave it), and adds them to the queue's total. KEYS: jobs, errors, runs,
/// totals. ARGV: group, then id and job key pairs.
/// Returns how many were still pending (acknowledged by this call).
pub(crate) static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local acked = 0
for i = 2, #ARGV, 2 do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  redis.call('XDEL', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i + 1], ARGV[i + 1] .. ':run')
  redis.call('HDEL', KEYS[3], ARGV[i + 1])
end
if acked > 0 then redis.call('HINCRBY', KEYS[4], 'acknowledged', acked) end
return acked
",
    )
});

/// Leaves a failed entry pending, to be reclaimed after its back-off, its delivery count
/// kept (the reclaim counts the next delivery), and keeps its error (and which run it was)
/// for the dead letter. KEYS: jobs, errors, runs. ARGV: group, consumer, id, idle ms, job
/// key, error. Returns 1, or 0 if not held.
pub(crate) static RETRY: LazyLock<Script> = LazyLock::new(|| {
    with_holder(
        r"
local deliveries = deliveries_if_held(KEYS[1], ARGV[1], ARGV[3], ARGV[2])
if not deliveries then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'RETRYCOUNT', deliveries, 'JUSTID')
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6], ARGV[5] .. ':run', redis.call('HGET', KEYS[3], ARGV[5]) or 0)
return 1
",
    )
});

/// Gives a held entry back to the group for another consumer to take at once, without
/// charging a delivery: its idle time past the visibility timeout, its count one less (the
/// reclaim adds it back). KEYS: jobs. ARGV: group, consumer, id, idle ms. Returns 1 or 0.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    with_holder(
        r"
local deliveries = deliveries_if_held(KEYS[1], ARGV[1], ARGV[3], ARGV[2])
if not deliveries then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'RETRYCOUNT', math.max(deliveries - 1, 0), 'JUSTID')
return 1
",
    )
});

/// Moves a held entry to the dead letters, with its last error (the given one, or the one a
/// failed run kept), then acknowledges and deletes it, and counts it in the queue's total.
/// KEYS: jobs, dead, errors, runs, totals. ARGV:
/// group, consumer, id, kind, job key, payload, error (empty: the kept one), reason. Returns
/// 1 or 0.
pub(crate) static DEAD_LETTER: LazyLock<Script> = LazyLock::new(|| {
    with_holder(
        r"
local deliveries = deliveries_if_held(KEYS[1], ARGV[1], ARGV[3], ARGV[2])
if not deliveries then return 0 end
local error = ARGV[7]
if error == '' then
  error = redis.call('HGET', KEYS[3], ARGV[5]) or 'no error recorded'
  error = ARGV[8] .. ': ' .. error
end
local attempts = redis.call('HGET', KEYS[4], ARGV[5]) or 0
redis.call('XADD', KEYS[2], '*', 'kind', ARGV[4], 'key', ARGV[5], 'payload', ARGV[6],
  'attempts', attempts, 'error', error)
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[5], ARGV[5] .. ':run')
redis.call('HDEL', KEYS[4], ARGV[5])
redis.call('HINCRBY', KEYS[5], 'dead_lettered', 1)
return 1
",
    )
});

/// Whether a held job is suspected of crashing its process: its last run started and never
/// reported an outcome (a failed run keeps its error, and which run it was). KEYS: runs,
/// errors. ARGV: job key. Returns 1 or 0.
pub(crate) static SUSPECT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local runs = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local reported = tonumber(redis.call('HGET', KEYS[2], ARGV[1] .. ':run') or '0')
if runs > reported then return 1 end
return 0
",
    )
});

/// Counts job starts, each before its run: the attempt each one is, or minus its runs so far
/// if it has used its attempts up (then it is not counted). KEYS: runs. ARGV: max attempts,
/// then the job keys. Returns the counts in their order.
pub(crate) static START: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local max = tonumber(ARGV[1])
local counts = {}
for i = 2, #ARGV do
  local runs = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if runs >= max then
    counts[i - 1] = -runs
  else
    counts[i - 1] = redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  end
end
return counts
",
    )
});

/// Reclaims entries idle past the visibility timeout, with each one's delivery count (which
/// `XAUTOCLAIM` does not give). KEYS: jobs. ARGV: group, consumer, min idle ms, cursor,
/// count. Returns the `XAUTOCLAIM` reply and the counts, in the order of its entries.
pub(crate) static RECLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local counts = {}
for i, entry in ipairs(reply[2]) do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
  counts[i] = pending[1][4]
end
return {reply, counts}
",
    )
});

/// Removes a consumer from the group if it still holds nothing and is still idle past the
/// threshold. KEYS: jobs. ARGV: group, consumer, idle ms. Returns 1 if removed.
pub(crate) static FORGET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local fields = {}
  for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
  if fields['name'] == ARGV[2] then
    if fields['pending'] == 0 and fields['idle'] >= tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
",
    )
});

/// Moves a dead letter back to the job stream, as a new entry with its deliveries counted
/// from zero. KEYS: dead, jobs. ARGV: dead letter id. Returns the new entry's id, or false.
pub(crate) static REQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return false end
local fields = found[1][2]
local entry = {}
for i = 1, #fields, 2 do entry[fields[i]] = fields[i + 1] end
local id = redis.call('XADD', KEYS[2], '*', 'kind', entry['kind'], 'key', entry['key'],
  'payload', entry['payload'])
redis.call('XDEL', KEYS[1], ARGV[1])
return id
",
    )
});
