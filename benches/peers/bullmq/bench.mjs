// BullMQ for Node as its documentation shows it used: a Queue filled with addBulk, a Worker
// with a concurrency. The distributed benchmark runs one producer and N worker processes of
// this script against the same Redis as every other queue, and reads one JSON line from each.
//
//   node bench.mjs produce REDIS_URL QUEUE JOBS BATCH
//   node bench.mjs work REDIS_URL QUEUE JOBS CONCURRENCY JOB_MS
//
// `work` stops once the queue has completed JOBS jobs in all (counted in Redis, so that
// several workers stop together), and prints its own count and the wall time from its first
// job to its last.
import { Queue, Worker } from "bullmq";

const [mode, url, name, jobsText, fourth, fifth] = process.argv.slice(2);
const connection = { url, maxRetriesPerRequest: null };
const jobs = Number(jobsText);

function print(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}

if (mode === "produce") {
  const batch = Number(fourth);
  const queue = new Queue(name, { connection });
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < jobs; sent += batch) {
    const count = Math.min(batch, jobs - sent);
    await queue.addBulk(
      Array.from({ length: count }, (_, i) => ({
        name: "noop",
        data: { n: sent + i },
        opts: { removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  print({ mode, jobs, seconds });
  await queue.close();
} else if (mode === "work") {
  const concurrency = Number(fourth);
  const jobMs = Number(fifth);
  const queue = new Queue(name, { connection });
  let done = 0;
  let first = null;
  let last = null;
  const worker = new Worker(
    name,
    async () => {
      first ??= process.hrtime.bigint();
      if (jobMs > 0) await new Promise((wake) => setTimeout(wake, jobMs));
    },
    { connection, concurrency },
  );
  worker.on("completed", () => {
    done += 1;
    last = process.hrtime.bigint();
  });
  // The queue is looked at every 50 ms, not per job: a look per job would be a round trip
  // per job that BullMQ's own users do not make.
  await new Promise((resolve) => {
    const look = setInterval(async () => {
      if (done === 0) return;
      const counts = await queue.getJobCounts("wait", "active", "delayed", "prioritized");
      if (counts.wait + counts.active + counts.delayed + counts.prioritized === 0) {
        clearInterval(look);
        resolve();
      }
    }, 50);
  });
  await worker.close();
  await queue.close();
  const seconds = first && last ? Number(last - first) / 1e9 : 0;
  print({ mode, jobs: done, seconds, rss_bytes: process.memoryUsage().rss, of: jobs });
} else {
  process.stderr.write("usage: bench.mjs produce|work ...\n");
  process.exit(2);
}
