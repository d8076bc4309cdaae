//! The scripts behind the limits on how many jobs of a kind start: a rate (a token bucket)
//! and a concurrency (slots under lease), each kept in Redis for every consumer of a queue.
//! Kept apart from `scripts`, which settles entries, since these only gate starts.

use std::sync::LazyLock;

use redis::Script;

use crate::store::scripts::{HOLDER, NOW_MS, script};

/// Lets held entries' jobs of one kind start if the kind's limits allow, taking a token and
/// a slot for each; or else moves an entry out of the stream into the delayed set (its
/// fields byte for byte, marked 2: waiting for a limit), due when its turn comes, without
/// charging an attempt. One call for a batch of entries, in order.
///
/// The rate is GCRA: the kind's bucket holds when its next start is due (`tat`); a start may
/// be up to the tolerance ahead of it, and moves it one interval on. A job over the rate is
/// given the next turn, one interval after the last turn given. A job over the concurrency
/// (expired slots dropped first) waits for a slot: listed among the kind's waiters, due one
/// lease later at the latest (a dead holder's slot has expired by then).
///
/// KEYS: jobs, rate buckets, running, waiters, delayed, delayed jobs. ARGV: group, consumer,
/// kind, interval ms (0: no rate), tolerance ms, most running (0: no concurrency limit),
/// lease ms, then pairs of entry id and job key. Returns a verdict per entry: 1 may start
/// (its slot, if any, is the consumer's name, a slash and the entry id); 0 not held here;
/// 2 waits for its turn; 3 deleted from the stream while pending (acknowledged: nothing to
/// run).
pub(crate) static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{HOLDER}{NOW_MS}{}",
        r"
local now = now_ms()
local interval, tolerance, most = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local lease = tonumber(ARGV[7])
if most > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now) end
local verdicts = {}
local function admit(id, job_key)
  if not deliveries_if_held(KEYS[1], ARGV[1], id, ARGV[2]) then return 0 end
  local due, tat = nil, 0
  if most > 0 and redis.call('ZCARD', KEYS[3]) >= most then
    due = now + lease
    redis.call('ZADD', KEYS[4], 'NX', now, job_key)
  end
  if not due and interval > 0 then
    tat = math.max(tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0'), now)
    if tat - now > tolerance then
      local turn = math.max(tonumber(redis.call('HGET', KEYS[2], ARGV[3] .. ':turn') or '0') + interval, tat - tolerance)
      redis.call('HSET', KEYS[2], ARGV[3] .. ':turn', turn)
      due = math.ceil(turn)
    end
  end
  if due then
    local found = redis.call('XRANGE', KEYS[1], id, id)
    redis.call('XACK', KEYS[1], ARGV[1], id)
    if #found == 0 then return 3 end
    redis.call('HSET', KEYS[6], job_key, cmsgpack.pack({2, found[1][2]}))
    redis.call('ZADD', KEYS[5], due, job_key)
    redis.call('XDEL', KEYS[1], id)
    return 2
  end
  if interval > 0 then redis.call('HSET', KEYS[2], ARGV[3], tat + interval) end
  if most > 0 then
    redis.call('ZADD', KEYS[3], now + lease, ARGV[2] .. '/' .. id)
    redis.call('ZREM', KEYS[4], job_key)
  end
  return 1
end
for i = 8, #ARGV, 2 do table.insert(verdicts, admit(ARGV[i], ARGV[i + 1])) end
return verdicts
"
    ))
});

/// Gives slots back and sends the kind's first waiters, as many as there are free slots
/// now, from the delayed set into the stream (only jobs still waiting there for a limit).
/// KEYS: running, waiters, delayed, delayed jobs, jobs. ARGV: most running, then the slot
/// members. Returns how many waiters it sent.
pub(crate) static FREE_SLOTS: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{NOW_MS}{}",
        r"
for i = 2, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local sent = 0
while sent < free do
  local first = redis.call('ZPOPMIN', KEYS[2])
  if #first == 0 then break end
  local packed = redis.call('HGET', KEYS[4], first[1])
  if packed and redis.call('ZSCORE', KEYS[3], first[1]) then
    local record = cmsgpack.unpack(packed)
    if record[1] == 2 then
      redis.call('XADD', KEYS[5], '*', unpack(record[2]))
      redis.call('ZREM', KEYS[3], first[1])
      redis.call('HDEL', KEYS[4], first[1])
      sent = sent + 1
    end
  end
end
return sent
"
    ))
});

/// Renews the leases of slots held by running jobs (only slots still held: one that
/// expired may have gone to another job). KEYS: running. ARGV: lease ms, then slot
/// members. Returns how many it renewed.
pub(crate) static RENEW_SLOTS: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{NOW_MS}{}",
        r"
local until_ms = now_ms() + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do
  renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', until_ms, ARGV[i])
end
return renewed
"
    ))
});
