//! The scripts an operator's tools run: putting dead letters back, and finding where a job
//! is. None of them runs on a consumer's path.

use std::sync::LazyLock;

use redis::Script;

use crate::store::scripts::script;

/// `requeue(id)`: moves dead letter `id` back to the job stream, as a new entry with the
/// job's fields as they were, its deliveries counted from zero, and drops the outcome kept
/// for its last run (so that a wait for its outcome sees the new run's) and any cancel asked
/// for. Returns the new entry's id, or false if there is no such letter or it holds no job
/// fields. KEYS: dead, jobs, cancels. ARGV[1]: outcome key prefix.
const REQUEUE_ONE: &str = r"
local function requeue(dead_id)
  local found = redis.call('XRANGE', KEYS[1], dead_id, dead_id)
  if #found == 0 then return false end
  local fields = found[1][2]
  local job = {}
  if fields[1] == 'attempts' and fields[3] == 'error' then
    for i = 5, #fields do table.insert(job, fields[i]) end
  else
    -- Written before the meta fields came first: they are found by name.
    for i = 1, #fields, 2 do
      if fields[i] ~= 'attempts' and fields[i] ~= 'error' then
        table.insert(job, fields[i])
        table.insert(job, fields[i + 1])
      end
    end
  end
  if #job == 0 then return false end
  local id = redis.call('XADD', KEYS[2], '*', unpack(job))
  -- The id found, not the one asked for: `MS` alone would find `MS-1` and delete `MS-0`.
  redis.call('XDEL', KEYS[1], found[1][1])
  -- The outcome kept from before is no longer the job's: its next run writes the new one;
  -- and a cancel asked for before is not asked of the new run.
  for i = 1, #job, 2 do
    if job[i] == 'key' then
      redis.call('DEL', ARGV[1] .. job[i + 1])
      redis.call('ZREM', KEYS[3], job[i + 1])
    end
  end
  return id
end
";

/// Re-queues one dead letter (see `REQUEUE_ONE`). KEYS: dead, jobs, cancels. ARGV: outcome
/// key prefix, dead letter id. Returns the new entry's id, or false.
pub(crate) static REQUEUE: LazyLock<Script> =
    LazyLock::new(|| script(&format!("{REQUEUE_ONE}return requeue(ARGV[2])")));

/// Re-queues the dead letters after a cursor (exclusive) up to a last id (inclusive), at
/// most a count of them per call, so that a re-queue of thousands does not hold Redis for
/// long. KEYS: dead, jobs, cancels. ARGV: outcome key prefix, cursor (`-` for the start),
/// last id, count. Returns how many it re-queued and the next cursor (empty when done).
pub(crate) static REQUEUE_RANGE: LazyLock<Script> = LazyLock::new(|| {
    script(&format!(
        "{REQUEUE_ONE}{}",
        r"
local from = ARGV[2]
if from ~= '-' then from = '(' .. from end
local page = redis.call('XRANGE', KEYS[1], from, ARGV[3], 'COUNT', tonumber(ARGV[4]))
local requeued = 0
for _, entry in ipairs(page) do
  if requeue(entry[1]) then requeued = requeued + 1 end
end
if #page < tonumber(ARGV[4]) then return {requeued, ''} end
return {requeued, page[#page][1]}
"
    ))
});

/// Where a job waits outside the stream, by its key: its due time in the delayed set (Unix
/// ms, or -1) with why it waits there (0 delayed, 1 a retry's back-off, 2 a kind's limit; -1
/// if unknown), and the outcome kept for it (or false). KEYS: delayed, delayed jobs, the
/// job's outcome. ARGV: job key.
pub(crate) static LOCATE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local due = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1')
local why = -1
local packed = redis.call('HGET', KEYS[2], ARGV[1])
if packed then
  local ok, record = pcall(cmsgpack.unpack, packed)
  if ok and type(record) == 'table' and type(record[1]) == 'number' then why = record[1] end
end
local outcome = redis.call('LINDEX', KEYS[3], 0)
return {due, why, outcome}
",
    )
});
