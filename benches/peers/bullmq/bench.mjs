// BullMQ for Node as its documentation shows it used: a Queue filled with addBulk, a Worker
// with a concurrency. The distributed benchmark (benches/src/bin/distributed) starts these
// processes as it starts its own consumers and producers, and speaks the same protocol:
//
//   node bench.mjs consume REDIS_URL QUEUE CONCURRENCY
//       prints "ready" once connected, then works until killed
//   node bench.mjs produce REDIS_URL QUEUE JOBS WORK_MS numbered|plain RATE
//       prints "ready" once connected, enqueues JOBS jobs in addBulk calls of 100 (or, with
//       a RATE above 0, one at a time, job n due n / RATE seconds after the first, each
//       carrying when it was due), prints "cpu SECONDS" (its own CPU time) and exits
//
// A job that carries when it was due appends how long after that it started, in µs, to
// the list `crash-bench:QUEUE:latency`.
// Each job sleeps WORK_MS (none for 0); a numbered job then appends its number to the list
// `crash-bench:QUEUE:ends` (the runner's crash mode counts which bodies ran to their end). The runner counts finished jobs from BullMQ's own
// metrics (`metrics` on the Worker: a count kept by the script that finishes each job), the
// one count BullMQ keeps once completed jobs are removed (`removeOnComplete: true`, as its
// docs advise for queues of this size).
import { MetricsTime, Queue, Worker } from "bullmq";
import IORedis from "ioredis";

const [mode, url, name, third, fourth, fifth, sixth] = process.argv.slice(2);
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const connection = { url, maxRetriesPerRequest: null };
const BATCH = 100;

function say(line) {
  process.stdout.write(line + "\n");
}

if (mode === "produce") {
  const jobs = Number(third);
  const workMs = Number(fourth);
  const numbered = fifth === "numbered";
  const rate = Number(sixth ?? 0);
  const opts = { removeOnComplete: true, removeOnFail: true };
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  say("ready");
  const start = performance.now();
  const startUs = nowUs();
  for (let n = 0; rate > 0 && n < jobs; n++) {
    const dueMs = (n * 1000) / rate;
    const wait = start + dueMs - performance.now();
    if (wait > 0) await new Promise((wake) => setTimeout(wake, wait));
    await queue.add("bench", { work_ms: workMs, sent_us: startUs + Math.round(dueMs * 1000) }, opts);
  }
  for (let sent = 0; rate <= 0 && sent < jobs; sent += BATCH) {
    const count = Math.min(BATCH, jobs - sent);
    await queue.addBulk(
      Array.from({ length: count }, (_, i) => ({
        name: "bench",
        data: numbered ? { work_ms: workMs, number: sent + i } : { work_ms: workMs },
        opts: { removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
  await queue.close();
  const { user, system } = process.cpuUsage();
  say(`cpu ${(user + system) / 1e6}`);
} else if (mode === "consume") {
  const concurrency = Number(third);
  const recorder = new IORedis(url);
  const worker = new Worker(
    name,
    async (job) => {
      if (job.data.sent_us !== undefined) {
        await recorder.rpush(`crash-bench:${name}:latency`, Math.max(0, nowUs() - job.data.sent_us));
      }
      const workMs = job.data.work_ms;
      if (workMs > 0) await new Promise((wake) => setTimeout(wake, workMs));
      if (job.data.number !== undefined) {
        await recorder.rpush(`crash-bench:${name}:ends`, job.data.number);
      }
    },
    { connection, concurrency, metrics: { maxDataPoints: MetricsTime.ONE_WEEK } },
  );
  await worker.waitUntilReady();
  say("ready");
} else {
  process.stderr.write("usage: bench.mjs consume|produce ...\n");
  process.exit(2);
}
