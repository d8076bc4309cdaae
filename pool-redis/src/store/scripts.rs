//! The queue's Lua scripts: each step that must check who holds an entry, or change two keys
//! at once, runs as one script, so that no other client acts in between.
//!
//! Every script that acts on a held entry first asks `XPENDING` who holds it: a consumer whose
//! lease lapsed and whose entry a rival reclaimed must not act on it (a bare `XCLAIM` would
//! steal it back).
//!
//! Every script is flagged `allow-oom`: when Redis reaches `maxmemory`, draining the queue is
//! what frees memory, so the steps that run and settle jobs must go on (their writes are a
//! few small fields; acknowledging deletes whole entries). Only enqueueing is refused then.
//!
//! The settling scripts (acknowledge, retry, release, dead-letter) remember their reply under
//! the call's id: a call sent again after a dropped connection lost its reply gets the first
//! reply back, instead of finding its own work done and counting it as someone else's.

use std::sync::LazyLock;

use redis::Script;

/// Lets a script run when Redis is out of memory (Redis 7's script flags).
const ALLOW_OOM: &str = "#!lua flags=allow-oom\n";

/// The owner check every settling script starts with, for entry `id`: `nil` unless
/// `consumer` holds it, else the entry's delivery count.
pub(crate) const HOLDER: &str = r"
local function deliveries_if_held(stream, group, id, consumer)
  local pending = redis.call('XPENDING', stream, group, id, id, 1)
  if #pending == 1 and pending[1][2] == consumer then return pending[1][4] end
  return nil
end
";

/// Runs `settle()` once per call id. KEYS[1]: the consumer's memo hash. ARGV[1..3]: the
/// caller's slot in it (one per connection that settles, each sending one call at a time),
/// the call's id, the memo's time to live in ms.
const ONCE_PER_CALL: &str = r"
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if kept then
  local space = string.find(kept, ' ', 1, true)
  if space and string.sub(kept, 1, space - 1) == ARGV[2] then
    return tonumber(string.sub(kept, space + 1))
  end
end
local reply = settle()
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. reply)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return reply
";

pub(crate) fn script(body: &str) -> Script {
    Script::new(&format!("{ALLOW_OOM}{body}"))
}

/// A settling script: `body` defines `settle()`, which returns a number. Its own keys start
/// at KEYS[2], its own arguments at ARGV[4].
fn settling(body: &str) -> Script {
    script(&format!("{HOLDER}{body}{ONCE_PER_CALL}"))
}

/// Renews the lease of held entries (their idle time back to 0, their delivery count
/// unchanged). KEYS: jobs, cancels. ARGV: group, consumer, then pairs of entry id and job
/// key. Returns the ids no longer held, those deleted from the stream while pending
/// (acknowledged: nothing to run), and those whose job was asked to be cancelled.
pub(crate) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{HOLDER}{}",
        r"
local lost, deleted, cancelled = {}, {}, {}
for i = 3, #ARGV, 2 do
  if not deliveries_if_held(KEYS[1], ARGV[1], ARGV[i], ARGV[2]) then
    table.insert(lost, ARGV[i])
  elseif #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i]) == 0 then
    redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
    table.insert(deleted, ARGV[i])
  else
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    if redis.call('ZSCORE', KEYS[2], ARGV[i + 1]) then table.insert(cancelled, ARGV[i]) end
  end
end
return {lost, deleted, cancelled}
"
    ))
});

/// Acknowledges the finished entries this consumer still holds and deletes them (a stream is
/// never trimmed by length: only finished entries leave it), keeps each one's outcome if
/// asked to, releases their unique locks, drops any cancel asked for (it finished first),
/// and adds them to the queue's total. KEYS: memo, jobs, errors, runs, totals, unique locks
/// by job key, cancels. ARGV: memo slot, call, memo ttl, group, consumer, outcome key prefix, outcome ttl ms (0:
/// keep none), the lowest and highest id (see `id_span`), `1` if the triples come in stream
/// order (see `stream_order`; else `0`), then triples of id, job key, outcome. Returns how
/// many it acknowledged.
///
/// Its commands act on the whole batch (one `XPENDING` to check the holder, one variadic
/// `XACK`, `HDEL` and `XDEL`), and those on keys that are usually empty (unique locks,
/// cancels) are skipped while they are: a command per job cost Redis more than the job's
/// own entry did. Nor does it parse every id: Lua's string work cost more still.
///
/// Entries older than every entry still needed (the oldest pending one, or past the last one
/// delivered) are deleted together, by one `XTRIM MINID`: it drops whole blocks of the
/// stream where `XDEL` seeks each entry (a fifth of Redis's time per job on the benchmark
/// host). Everything below that floor was delivered and is pending no more, so settled and
/// due to leave the stream anyway; the stream keeps exactly its pending and undelivered
/// entries, as with `XDEL` alone. The acknowledged ids from the floor on are deleted by id:
/// in stream order, a binary search finds the first (an `XDEL` of an id the trim took is no
/// cheaper than one that deletes: it seeks through the entries the trim left marked).
pub(crate) static ACK: LazyLock<Script> = LazyLock::new(|| {
    settling(&format!(
        "{RELEASE_UNIQUE}{HELD_AMONG}{OLDEST_NEEDED}{FIRST_FROM}{}",
        r"
local function settle()
  local keep_ms = tonumber(ARGV[7])
  local held = held_among(KEYS[2], ARGV[4], ARGV[5], ARGV[8], ARGV[9], (#ARGV - 10) / 3)
  local acked, job_keys, kept_fields, seen = {}, {}, {}, {}
  for i = 11, #ARGV, 3 do
    local id, job_key = ARGV[i], ARGV[i + 1]
    if not seen[id] and held(id) then
      seen[id] = true
      acked[#acked + 1] = id
      job_keys[#job_keys + 1] = job_key
      kept_fields[#kept_fields + 1] = job_key
      kept_fields[#kept_fields + 1] = job_key .. ':run'
      if keep_ms > 0 then
        local outcome = ARGV[6] .. job_key
        redis.call('DEL', outcome)
        redis.call('RPUSH', outcome, ARGV[i + 2])
        redis.call('PEXPIRE', outcome, keep_ms)
      end
    end
  end
  if #acked == 0 then return 0 end
  redis.call('XACK', KEYS[2], ARGV[4], unpack(acked))
  redis.call('HDEL', KEYS[3], unpack(kept_fields))
  redis.call('HDEL', KEYS[4], unpack(job_keys))
  release_unique_all(KEYS[6], job_keys)
  if redis.call('ZCARD', KEYS[7]) > 0 then redis.call('ZREM', KEYS[7], unpack(job_keys)) end
  local floor = oldest_needed(KEYS[2], ARGV[4])
  local first = 1
  if floor then
    redis.call('XTRIM', KEYS[2], 'MINID', floor)
    if ARGV[10] == '1' then first = first_from(acked, floor) end
  end
  if first <= #acked then redis.call('XDEL', KEYS[2], unpack(acked, first)) end
  redis.call('HINCRBY', KEYS[5], 'acknowledged', #acked)
  return #acked
end
"
    ))
});

/// `held_among(stream, group, consumer, low, high, count)`: a function of an id among a
/// batch of `count` ids from `low` to `high` that gives its delivery count if `consumer`
/// holds it, else `nil`, as `deliveries_if_held` does. One `XPENDING` over the span,
/// filtered to the consumer, answers for the batch; an id it did not list (a lease lost, a
/// reply cut at its count) is asked about on its own. Needs `HOLDER`.
const HELD_AMONG: &str = r"
local function held_among(stream, group, consumer, low, high, count)
  local known = {}
  for _, pending in ipairs(redis.call('XPENDING', stream, group, low, high, 2 * count + 16, consumer)) do
    known[pending[1]] = pending[4]
  end
  return function(id)
    return known[id] or deliveries_if_held(stream, group, id, consumer)
  end
end
";

/// `oldest_needed(stream, group)`: the id below which every entry has been delivered and
/// is pending no more: the oldest pending entry's, or else the one just past the last
/// delivered; `nil` if that is a sequence number Lua cannot count on from (past 15 digits a
/// Lua number may round: only ever set by hand), which trims nothing.
const OLDEST_NEEDED: &str = r"
local function oldest_needed(stream, group)
  local pending = redis.call('XPENDING', stream, group)
  if pending[1] > 0 then return pending[2] end
  for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields['name'] == group then
      local last = fields['last-delivered-id']
      local dash = string.find(last, '-', 1, true)
      if not dash then return nil end
      local ms, seq = string.sub(last, 1, dash - 1), string.sub(last, dash + 1)
      if #seq > 15 then return nil end
      -- '%.0f': a bare number past 14 digits prints as '1e+14', which is no id.
      return ms .. '-' .. string.format('%.0f', tonumber(seq) + 1)
    end
  end
  return nil
end
";

/// `first_from(ids, floor)`: the index of the first of `ids` (in stream order) that is not
/// below id `floor`, by binary search; `#ids + 1` if none is. An id Lua cannot hold exactly
/// (a part past 15 digits, which the caller's order rules out) counts as not below, so at
/// worst more ids are deleted than need be, never fewer.
const FIRST_FROM: &str = r"
local function parsed(id)
  local dash = string.find(id, '-', 1, true)
  if not dash then return nil end
  local ms, seq = string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
  if #ms > 15 or #seq > 15 then return nil end
  local at = {tonumber(ms), tonumber(seq)}
  if not at[1] or not at[2] then return nil end
  return at
end
local function first_from(ids, floor)
  local bound = parsed(floor)
  if not bound then return 1 end
  local low, high = 1, #ids + 1
  while low < high do
    local middle = math.floor((low + high) / 2)
    local at = parsed(ids[middle])
    if at and (at[1] < bound[1] or (at[1] == bound[1] and at[2] < bound[2])) then
      low = middle + 1
    else
      high = middle
    end
  end
  return low
end
";

/// Releases the lock a unique job took until it finished, if it still holds it (a lock
/// that lasts a time is not listed, and expires by itself). `unique_of` is the hash of
/// locks by job key. `release_unique_all` does it for a batch of job keys, in one `HMGET`,
/// and skips them all while no job holds a lock.
const RELEASE_UNIQUE: &str = r"
local function release_unique(unique_of, job_key)
  local lock = redis.call('HGET', unique_of, job_key)
  if lock then
    if redis.call('GET', lock) == job_key then redis.call('DEL', lock) end
    redis.call('HDEL', unique_of, job_key)
  end
end
local function release_unique_all(unique_of, job_keys)
  if redis.call('HLEN', unique_of) == 0 then return end
  local locks = redis.call('HMGET', unique_of, unpack(job_keys))
  for i = 1, #job_keys do
    local lock = locks[i]
    if lock then
      if redis.call('GET', lock) == job_keys[i] then redis.call('DEL', lock) end
      redis.call('HDEL', unique_of, job_keys[i])
    end
  end
end
";

/// Now, in Unix milliseconds, by Redis's clock: every consumer and producer compares due
/// times against the one clock, whatever their own say.
pub(crate) const NOW_MS: &str = r"
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
";

/// Moves a failed entry out of the stream into the delayed set, due after its back-off, in
/// one step: its fields kept byte for byte (packed with `cmsgpack`, marked as a retry), and
/// counted among the queue's retrying jobs; and keeps its error (and which run it was) for
/// the dead letter. So the back-off is not bounded by the visibility timeout, and the
/// consumer holds only what it runs. KEYS: memo, jobs, errors, runs, delayed, delayed jobs,
/// totals, unique locks by job key (released if the entry was deleted). ARGV: memo slot, call, memo ttl, group, consumer, id, back-off ms, job key,
/// error. Returns 1, 0 if not held, or 2 if the entry was deleted from the stream while
/// pending.
pub(crate) static RETRY: LazyLock<Script> = LazyLock::new(|| {
    settling(&format!(
        "{NOW_MS}{RELEASE_UNIQUE}{}",
        r"
local function settle()
  if not deliveries_if_held(KEYS[2], ARGV[4], ARGV[6], ARGV[5]) then return 0 end
  local found = redis.call('XRANGE', KEYS[2], ARGV[6], ARGV[6])
  redis.call('XACK', KEYS[2], ARGV[4], ARGV[6])
  if #found == 0 then
    redis.call('HDEL', KEYS[3], ARGV[8], ARGV[8] .. ':run')
    redis.call('HDEL', KEYS[4], ARGV[8])
    release_unique(KEYS[8], ARGV[8])
    return 2
  end
  redis.call('HSET', KEYS[6], ARGV[8], cmsgpack.pack({1, found[1][2]}))
  if redis.call('ZADD', KEYS[5], now_ms() + tonumber(ARGV[7]), ARGV[8]) == 1 then
    redis.call('HINCRBY', KEYS[7], 'retrying', 1)
  end
  redis.call('XDEL', KEYS[2], ARGV[6])
  redis.call('HSET', KEYS[3], ARGV[8], ARGV[9], ARGV[8] .. ':run', redis.call('HGET', KEYS[4], ARGV[8]) or 0)
  return 1
end
"
    ))
});

/// Puts jobs in the delayed set, each due at a time: now (by Redis's clock) plus a delay,
/// or a given instant. Refused as a whole when Redis is out of memory (no `allow-oom`).
/// KEYS: delayed, delayed jobs. ARGV: `in` or `at`, the delay or the instant in ms, the
/// producer's `traceparent` (empty: none), then triples of kind, job key, payload. Returns
/// when they are due, in Unix ms.
pub(crate) static ENQUEUE_LATER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "#!lua\n{NOW_MS}{}",
        r"
local due = tonumber(ARGV[2])
if ARGV[1] == 'in' then due = now_ms() + due end
for i = 4, #ARGV, 3 do
  local fields = {'kind', ARGV[i], 'key', ARGV[i + 1], 'payload', ARGV[i + 2]}
  if ARGV[3] ~= '' then
    table.insert(fields, 'traceparent')
    table.insert(fields, ARGV[3])
  end
  redis.call('HSET', KEYS[2], ARGV[i + 1], cmsgpack.pack({0, fields}))
  redis.call('ZADD', KEYS[1], due, ARGV[i + 1])
end
return due
"
    ))
});

/// Enqueues a unique job unless its unique key is taken: takes the lock (holding the job
/// key, for a time or until the job finishes) and adds the entry, in one step, so that of
/// producers racing for one key exactly one enqueues. Refused when Redis is out of memory
/// (no `allow-oom`). KEYS: jobs, unique locks by job key, the lock. ARGV: lock ms (0: until
/// the job finishes), kind, job key, payload, the producer's `traceparent` (empty: none).
/// Returns 1 and the job key, or 0 and the key of the job that holds the lock.
pub(crate) static ENQUEUE_UNIQUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua
local holder = redis.call('GET', KEYS[3])
if holder then return {0, holder} end
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[1])
else
  redis.call('SET', KEYS[3], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[3], KEYS[3])
end
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[1], '*', 'kind', ARGV[2], 'key', ARGV[3], 'payload', ARGV[4], 'traceparent', ARGV[5])
else
  redis.call('XADD', KEYS[1], '*', 'kind', ARGV[2], 'key', ARGV[3], 'payload', ARGV[4])
end
return {1, ARGV[3]}
",
    )
});

/// The outcome a cancelled job keeps: `RemoteOutcome::Cancelled`'s JSON.
const KEEP_CANCELLED: &str = r#"
local function keep_cancelled(outcome, keep_ms)
  if keep_ms > 0 then
    redis.call('DEL', outcome)
    redis.call('RPUSH', outcome, '"Cancelled"')
    redis.call('PEXPIRE', outcome, keep_ms)
  end
end
"#;

/// Cancels a job by its key. A delayed one (scheduled, or waiting out a retry's back-off)
/// is removed at once, with what it kept (its error, runs and unique lock), and its outcome
/// kept as cancelled; a job whose outcome is kept already has finished; any other is marked
/// (in the cancels set, scored by when), so that the consumer that reaches it does not start
/// it, and the one that runs it cancels it at its next lease renewal. Marks older than the
/// given age are dropped. KEYS: delayed, delayed jobs, cancels, totals, unique locks by job
/// key, errors, runs, the job's outcome. ARGV: job key, mark age ms, outcome ttl ms. Returns
/// 1 removed, 2 marked, 3 finished.
pub(crate) static CANCEL: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{NOW_MS}{RELEASE_UNIQUE}{KEEP_CANCELLED}{}",
        r"
local key = ARGV[1]
if redis.call('ZREM', KEYS[1], key) == 1 then
  local packed = redis.call('HGET', KEYS[2], key)
  redis.call('HDEL', KEYS[2], key)
  if packed and cmsgpack.unpack(packed)[1] == 1 then
    redis.call('HINCRBY', KEYS[4], 'retrying', -1)
  end
  redis.call('HDEL', KEYS[6], key, key .. ':run')
  redis.call('HDEL', KEYS[7], key)
  release_unique(KEYS[5], key)
  redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
  keep_cancelled(KEYS[8], tonumber(ARGV[3]))
  return 1
end
if redis.call('EXISTS', KEYS[8]) == 1 then return 3 end
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[3], now, key)
return 2
"
    ))
});

/// Settles a held entry whose job was cancelled (not started, or stopped by its cancel):
/// acknowledges and deletes it, drops its error, runs, unique lock and cancel mark, keeps
/// its outcome as cancelled if outcomes are kept, and counts it. KEYS: memo, jobs, errors,
/// runs, totals, unique locks by job key, cancels. ARGV: memo slot, call, memo ttl, group,
/// consumer, id, job key, outcome key prefix, outcome ttl ms. Returns 1, 0 if not held, or
/// 2 if the entry was deleted from the stream while pending.
pub(crate) static SETTLE_CANCELLED: LazyLock<Script> = LazyLock::new(|| {
    settling(&format!(
        "{RELEASE_UNIQUE}{KEEP_CANCELLED}{}",
        r"
local function settle()
  if not deliveries_if_held(KEYS[2], ARGV[4], ARGV[6], ARGV[5]) then return 0 end
  local key = ARGV[7]
  local found = #redis.call('XRANGE', KEYS[2], ARGV[6], ARGV[6])
  redis.call('XACK', KEYS[2], ARGV[4], ARGV[6])
  redis.call('XDEL', KEYS[2], ARGV[6])
  redis.call('HDEL', KEYS[3], key, key .. ':run')
  redis.call('HDEL', KEYS[4], key)
  release_unique(KEYS[6], key)
  redis.call('ZREM', KEYS[7], key)
  if found == 0 then return 2 end
  redis.call('HINCRBY', KEYS[5], 'cancelled', 1)
  keep_cancelled(ARGV[8] .. key, tonumber(ARGV[9]))
  return 1
end
"
    ))
});

/// Enqueues a periodic job's tick in the delayed set, due at the tick, unless that tick (or
/// a later one) was enqueued already: the last tick enqueued is kept per name, so of all the
/// consumers that register a schedule exactly one enqueues each tick. Refused when Redis is
/// out of memory (no `allow-oom`). KEYS: periodic, delayed, delayed jobs. ARGV: name, tick
/// ms, kind, job key, payload. Returns 1 and the tick, or 0 and the last tick enqueued.
pub(crate) static TICK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"#!lua
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local tick = tonumber(ARGV[2])
if tick <= last then return {0, last} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local fields = {'kind', ARGV[3], 'key', ARGV[4], 'payload', ARGV[5]}
redis.call('HSET', KEYS[3], ARGV[4], cmsgpack.pack({0, fields}))
redis.call('ZADD', KEYS[2], tick, ARGV[4])
return {1, tick}
",
    )
});

/// Moves up to a count of the jobs due by now from the delayed set into the stream, each as
/// a new entry with its fields as they were; a retry among them leaves the retrying count.
/// Atomic: a job is moved once, whoever runs it, and a mover that dies before its call
/// reaches Redis moved nothing. KEYS: delayed, delayed jobs, jobs, totals. ARGV: count.
/// Returns how many it moved, how many of them were retries, when the next one is due (Unix
/// ms, or -1 if none is left), and Redis's now.
pub(crate) static PROMOTE: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{NOW_MS}{}",
        r"
local now = now_ms()
local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]))
local moved, retries = 0, 0
for _, key in ipairs(due) do
  local packed = redis.call('HGET', KEYS[2], key)
  if packed then
    local record = cmsgpack.unpack(packed)
    redis.call('XADD', KEYS[3], '*', unpack(record[2]))
    moved = moved + 1
    if record[1] == 1 then retries = retries + 1 end
  end
  redis.call('ZREM', KEYS[1], key)
  redis.call('HDEL', KEYS[2], key)
end
if retries > 0 then redis.call('HINCRBY', KEYS[4], 'retrying', -retries) end
local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {moved, retries, tonumber(next[2] or '-1'), now}
"
    ))
});

/// Gives a held entry back to the group for another consumer to take at once, without
/// charging a delivery: handed to the placeholder consumer that holds released entries (so
/// that the consumer releasing it holds nothing, and may leave the group), its idle time past
/// the visibility timeout, its count one less (the reclaim adds it back), and noted as
/// released (for the reclaim's count). KEYS: memo, jobs, parked. ARGV: memo slot, call,
/// memo ttl, group, consumer, id, idle ms, the placeholder's name. Returns 1, 0 if not
/// held, or 2 if the entry was deleted from the stream while pending.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    settling(
        r"
local function settle()
  local deliveries = deliveries_if_held(KEYS[2], ARGV[4], ARGV[6], ARGV[5])
  if not deliveries then return 0 end
  if #redis.call('XRANGE', KEYS[2], ARGV[6], ARGV[6]) == 0 then
    redis.call('XACK', KEYS[2], ARGV[4], ARGV[6])
    return 2
  end
  redis.call('XCLAIM', KEYS[2], ARGV[4], ARGV[8], 0, ARGV[6], 'IDLE', ARGV[7], 'RETRYCOUNT', math.max(deliveries - 1, 0), 'JUSTID')
  redis.call('HSET', KEYS[3], ARGV[6], 3)
  return 1
end
",
    )
});

/// Moves a held entry to the dead letters: the dead letter's first fields are `attempts`
/// and `error`, then the entry's own fields as they are in the stream, byte for byte. Then
/// acknowledges and deletes it, releases its unique lock, drops any cancel asked for, and
/// counts it in the queue's total. KEYS: memo, jobs, dead, errors, runs, totals, unique
/// locks by job key, cancels. ARGV: memo slot, call, memo ttl, group, consumer, id, job key,
/// what the text is, the text, outcome key prefix, outcome ttl ms (0: keep none; the outcome
/// kept is `RemoteOutcome::DeadLettered`'s JSON). The text is the error (`error`), or a
/// preface to the error the job's last failed run kept (`preface`), or why an entry that
/// holds no job (and has no job key) cannot run (`unreadable`). Returns 1, 0 if not held,
/// or 2 if the entry was deleted from the stream while pending (it is acknowledged, and
/// nothing is dead-lettered).
pub(crate) static DEAD_LETTER: LazyLock<Script> = LazyLock::new(|| {
    settling(&format!(
        "{RELEASE_UNIQUE}{}",
        r"
local function settle()
  if not deliveries_if_held(KEYS[2], ARGV[4], ARGV[6], ARGV[5]) then return 0 end
  local job_key, text_is, text = ARGV[7], ARGV[8], ARGV[9]
  local has_job = text_is ~= 'unreadable'
  local function forget_job()
    if has_job then
      redis.call('HDEL', KEYS[4], job_key, job_key .. ':run')
      redis.call('HDEL', KEYS[5], job_key)
      release_unique(KEYS[7], job_key)
      redis.call('ZREM', KEYS[8], job_key)
    end
  end
  local found = redis.call('XRANGE', KEYS[2], ARGV[6], ARGV[6])
  if #found == 0 then
    redis.call('XACK', KEYS[2], ARGV[4], ARGV[6])
    forget_job()
    return 2
  end
  local error = text
  if text_is == 'preface' then
    error = text .. ': ' .. (redis.call('HGET', KEYS[4], job_key) or 'no error recorded')
  end
  local attempts = 0
  if has_job then attempts = redis.call('HGET', KEYS[5], job_key) or 0 end
  local fields = {'attempts', attempts, 'error', error}
  for _, value in ipairs(found[1][2]) do table.insert(fields, value) end
  -- Written before anything is changed: a write that fails leaves the entry as it was.
  redis.call('XADD', KEYS[3], '*', unpack(fields))
  forget_job()
  redis.call('XACK', KEYS[2], ARGV[4], ARGV[6])
  redis.call('XDEL', KEYS[2], ARGV[6])
  redis.call('HINCRBY', KEYS[6], 'dead_lettered', 1)
  local keep_ms = tonumber(ARGV[11])
  if keep_ms > 0 and has_job then
    local outcome = ARGV[10] .. job_key
    redis.call('DEL', outcome)
    redis.call('RPUSH', outcome, cjson.encode({DeadLettered = {error = error}}))
    redis.call('PEXPIRE', outcome, keep_ms)
  end
  return 1
end
"
    ))
});

/// Whether a held job is suspected of crashing its process: its last run started and never
/// reported an outcome (a failed run keeps its error, and which run it was). KEYS: runs,
/// errors. ARGV: job key. Returns 1 or 0.
pub(crate) static SUSPECT: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local runs = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local reported = tonumber(redis.call('HGET', KEYS[2], ARGV[1] .. ':run') or '0')
if runs > reported then return 1 end
return 0
",
    )
});

/// Counts job starts, each before its run, for the entries this consumer still holds. For
/// each start a verdict and a number: 1 and the attempt it is; 2 and its runs so far if it
/// has used its attempts up (then it is not counted); 0 if the consumer no longer holds it
/// (its lease lapsed and a rival took it: it must not start here); 3 if it was asked to be
/// cancelled (it does not start). KEYS: runs, jobs, cancels. ARGV: group, consumer, the
/// lowest and highest entry id (see `id_span`), then triples of entry id, job key and the
/// attempts it may have. Returns the verdicts and
/// numbers, flat, in the starts' order. One `XPENDING` checks the holder of the whole batch,
/// and the cancels are looked up only while some are asked for.
pub(crate) static START: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{HOLDER}{HELD_AMONG}{}",
        r"
local held = held_among(KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], (#ARGV - 4) / 3)
local any_cancelled = redis.call('ZCARD', KEYS[3]) > 0
local verdicts = {}
for i = 5, #ARGV, 3 do
  local verdict, number = 1, 0
  if not held(ARGV[i]) then
    verdict = 0
  elseif any_cancelled and redis.call('ZSCORE', KEYS[3], ARGV[i + 1]) then
    verdict = 3
  else
    local runs = tonumber(redis.call('HGET', KEYS[1], ARGV[i + 1]) or '0')
    if runs >= tonumber(ARGV[i + 2]) then
      verdict, number = 2, runs
    else
      number = redis.call('HINCRBY', KEYS[1], ARGV[i + 1], 1)
    end
  end
  table.insert(verdicts, verdict)
  table.insert(verdicts, number)
end
return verdicts
"
    ))
});

/// Reclaims entries idle past the visibility timeout, with each one's delivery count (which
/// `XAUTOCLAIM` does not give) and why it was idle: 1 its holder's lease lapsed, 2 its
/// back-off after a failed run passed (parked by a consumer of an earlier version, which
/// kept retries in the stream), 3 a stopping consumer released it. KEYS: jobs,
/// errors, runs, parked. ARGV: group, consumer, min idle ms, cursor, count. Returns the
/// next cursor, the ids found deleted while pending, the entries, their counts and causes,
/// and how many entries the consumer holds in Redis now (these included).
pub(crate) static RECLAIM: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local counts, causes = {}, {}
for i, entry in ipairs(reply[2]) do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
  counts[i] = pending[1][4]
  causes[i] = tonumber(redis.call('HGET', KEYS[4], entry[1]) or '1')
  redis.call('HDEL', KEYS[4], entry[1])
end
for _, id in ipairs(reply[3] or {}) do redis.call('HDEL', KEYS[4], id) end
local own = 0
for _, holder in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1])[4] or {}) do
  if holder[1] == ARGV[2] then own = tonumber(holder[2]) end
end
return {reply[1], reply[3] or {}, reply[2], counts, causes, own}
",
    )
});

/// This consumer's own pending entries from `start` on (for the ones a lost read reply
/// delivered to nobody who knows): id, delivery count, and the entry, or `false` if it was
/// deleted while pending. KEYS: jobs. ARGV: group, consumer, start, count.
pub(crate) static OWN_PENDING: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local found = {}
for _, pending in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], '+', ARGV[4], ARGV[2])) do
  local entry = redis.call('XRANGE', KEYS[1], pending[1], pending[1])
  table.insert(found, {pending[1], pending[4], entry[1] or false})
end
return found
",
    )
});

/// Removes a consumer from the group if it still holds nothing and is still idle past the
/// threshold, with its memo and its presence. KEYS: jobs, the consumer's memo, presence.
/// ARGV: group, consumer, idle ms. Returns 1 if removed.
pub(crate) static FORGET: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local fields = {}
  for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
  if fields['name'] == ARGV[2] then
    if fields['pending'] == 0 and fields['idle'] >= tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      redis.call('DEL', KEYS[2])
      redis.call('HDEL', KEYS[3], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
",
    )
});

/// A queue's state in one snapshot: stream length, dead letters, totals, pending count,
/// undelivered count (`lag`, or -1 if Redis does not know it), the consumers (name,
/// pending, idle ms, presence as written or empty), the delayed jobs, how many of them are
/// retries, when the next is due (Unix ms, or -1), the cancelled total, and Redis's now (Unix
/// ms). KEYS: jobs, dead, totals, delayed, presence. ARGV: group.
pub(crate) static SNAPSHOT: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{NOW_MS}{}",
        r"
local length = redis.call('XLEN', KEYS[1])
local dead = redis.call('XLEN', KEYS[2])
local totals = redis.call('HMGET', KEYS[3], 'acknowledged', 'dead_lettered', 'retrying', 'cancelled')
local delayed = redis.call('ZCARD', KEYS[4])
local next = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
local pending, lag, consumers = 0, -1, {}
if redis.call('EXISTS', KEYS[1]) == 1 then
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
    if fields['name'] == ARGV[1] then
      pending = fields['pending']
      if type(fields['lag']) == 'number' then lag = fields['lag'] end
      for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
        local c = {}
        for i = 1, #consumer, 2 do c[consumer[i]] = consumer[i + 1] end
        table.insert(consumers, {c['name'], c['pending'], c['idle'],
          redis.call('HGET', KEYS[5], c['name']) or ''})
      end
    end
  end
end
return {length, dead, tonumber(totals[1] or '0'), tonumber(totals[2] or '0'), pending, lag, consumers,
  delayed, tonumber(totals[3] or '0'), tonumber(next[2] or '-1'), tonumber(totals[4] or '0'), now_ms()}
"
    ))
});

/// Tries, changing nothing, every command a consumer sends on one of its keys, so that a
/// Redis user without a permission is refused at connect rather than stalling later (Redis
/// refuses a script whose declared key the user may not touch at all, before it runs).
/// KEYS: the key. ARGV: its role (jobs, dead, hash, memo, list, zset, string), group,
/// consumer. Returns
/// what was refused (empty if nothing).
pub(crate) static PROBE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local refused = {}
local key, role = KEYS[1], ARGV[1]
local function try(...)
  local ok = redis.pcall(...)
  -- A key denied is NOPERM; a command denied, inside a script, is this.
  if type(ok) == 'table' and ok.err and (string.find(ok.err, 'NOPERM', 1, true)
      or string.find(ok.err, 'can\'t run this command', 1, true)) then
    table.insert(refused, (...) .. ' on ' .. key .. ': ' .. ok.err)
  end
  return ok
end
local probe = '0-1'
if role == 'jobs' then
  try('XREADGROUP', 'GROUP', ARGV[2], ARGV[3], 'COUNT', 1, 'STREAMS', key, '0')
  try('XPENDING', key, ARGV[2], '-', '+', 1, ARGV[3])
  try('XCLAIM', key, ARGV[2], ARGV[3], 0, probe, 'JUSTID')
  -- COUNT 0: refused after the permission check, before it touches anything.
  try('XAUTOCLAIM', key, ARGV[2], ARGV[3], '999999999999', probe, 'COUNT', 0, 'JUSTID')
  try('XACK', key, ARGV[2], probe)
  try('XDEL', key, probe)
  try('XRANGE', key, probe, probe)
  try('XLEN', key)
  try('XINFO', 'CONSUMERS', key, ARGV[2])
  try('XINFO', 'GROUPS', key)
  try('XGROUP', 'DELCONSUMER', key, ARGV[2], '\0probe')
elseif role == 'dead' then
  -- An ID below every entry's: Redis checks the permission, then refuses the ID.
  try('XADD', key, '0-0', 'probe', '1')
  try('XRANGE', key, '-', '+', 'COUNT', 1)
  try('XLEN', key)
elseif role == 'progress' then
  try('XADD', key, 'MAXLEN', '~', 100, '0-0', 'value', '0')
  try('XREVRANGE', key, '+', '-', 'COUNT', 1)
  try('PEXPIRE', key, 3600000)
elseif role == 'slots' then
  try('ZADD', key, 'XX', 0, '\0probe')
  try('ZREMRANGEBYSCORE', key, '-inf', '(-inf')
  try('ZCARD', key)
  try('ZPOPMIN', key, 0)
  try('ZREM', key, '\0probe')
elseif role == 'string' then
  try('GET', key)
  try('DEL', key)
elseif role == 'zset' then
  try('ZADD', key, 'XX', 0, '\0probe')
  try('ZRANGE', key, '-inf', 0, 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
  try('ZREM', key, '\0probe')
  try('ZCARD', key)
elseif role == 'list' then
  try('RPUSH', key, 'probe')
  try('PEXPIRE', key, 1000)
  try('DEL', key)
else
  try('HSET', key, '\0probe', 0)
  try('HINCRBY', key, '\0probe', 0)
  try('HGET', key, '\0probe')
  try('HMGET', key, '\0probe')
  try('HDEL', key, '\0probe')
  -- Only the consumer's own memo gets a time to live: the queue's hashes never expire.
  if role == 'memo' then try('PEXPIRE', key, 600000) end
end
return refused
",
    )
});

/// Creates the job stream and its group if they are missing (the group starting at the
/// stream's beginning, so that jobs enqueued before any consumer existed are delivered),
/// and, given a consumer name, registers it: a check and a claim in one step. A script, so
/// that a consumer can start on a Redis that is out of memory, to drain it. KEYS: jobs.
/// ARGV: group, consumer (or empty). Returns 1 if the consumer is new (or none was given).
pub(crate) static REGISTER: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local created = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP', 1, true) then
  return redis.error_reply(created.err)
end
if ARGV[2] == '' then return 1 end
return redis.call('XGROUP', 'CREATECONSUMER', KEYS[1], ARGV[1], ARGV[2])
",
    )
});
