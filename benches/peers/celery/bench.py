"""Celery with its Redis broker, as its documentation shows it used: a task sent with
apply_async, a worker with a concurrency. The distributed benchmark
(benches/src/bin/distributed) starts these processes as it starts its own consumers and
producers, and speaks the same protocol:

    python bench.py consume REDIS_URL QUEUE CONCURRENCY
        prints "ready" once the worker is up, then works until killed
    python bench.py produce REDIS_URL QUEUE JOBS WORK_MS numbered|plain RATE
        prints "ready" once connected, sends JOBS tasks (with a RATE above 0, task n due
        n / RATE seconds after the first, each carrying when it was due), prints
        "cpu SECONDS" and exits

A task that carries when it was due appends how long after that it started, in µs, to the
list `crash-bench:QUEUE:latency`.

A numbered task appends its number to the list `crash-bench:QUEUE:ends` when it ends (the
runner's crash mode counts which bodies ran to their end).

Settings are Celery's defaults but two: the thread pool (the default prefork pool would run
CONCURRENCY processes where every other queue runs one; Celery's docs advise threads or
green threads for I/O-bound tasks), and no results stored (`task_ignore_result`, as for
fire-and-forget jobs: the others keep none either). Celery keeps no count of finished tasks
without a result backend, so each worker counts its own and adds the count to a Redis key
every 20 ms (one INCRBY per 20 ms, not per task).
"""

import os
import resource
import sys
import threading
import time
import warnings

import redis
from celery import Celery
from celery.signals import worker_ready

mode, url, queue = sys.argv[1:4]
app = Celery("bench", broker=url)
app.conf.update(
    task_default_queue=queue,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
DONE_KEY = f"celery-bench:{queue}:done"
done = 0
done_lock = threading.Lock()


# The protocol's lines go to the runner on the real stdout; everything else written there
# (the worker's banner) is dropped, as are warnings (running as root, in a throwaway VM).
protocol = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
warnings.simplefilter("ignore")


def say(line):
    protocol.write(line + "\n")
    protocol.flush()


reporting = False
recorder = None


def now_us():
    return time.time_ns() // 1000


def recording():
    global recorder
    if recorder is None:
        recorder = redis.Redis.from_url(url)
    return recorder


@app.task(name="bench")
def bench(work_ms, number=None, sent_us=None):
    global done, reporting
    if sent_us is not None:
        recording().rpush(f"crash-bench:{queue}:latency", max(0, now_us() - sent_us))
    if work_ms > 0:
        time.sleep(work_ms / 1000)
    if number is not None:
        recording().rpush(f"crash-bench:{queue}:ends", number)
    with done_lock:
        done += 1
        # Started by the first task a process runs: with the prefork pool (CELERY_POOL, to
        # compare), tasks run in child processes, each counting its own.
        if not reporting:
            reporting = True
            threading.Thread(target=report_done, daemon=True).start()


def report_done():
    global done
    connection = redis.Redis.from_url(url)
    while True:
        time.sleep(0.02)
        with done_lock:
            count, done = done, 0
        if count:
            connection.incrby(DONE_KEY, count)


@worker_ready.connect
def announce(**_):
    say("ready")


if mode == "consume":
    concurrency = sys.argv[4]
    app.worker_main(
        [
            "worker",
            f"--pool={os.environ.get('CELERY_POOL', 'threads')}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "-Q",
            queue,
        ]
    )
elif mode == "produce":
    jobs, work_ms = int(sys.argv[4]), int(sys.argv[5])
    numbered = sys.argv[6:7] == ["numbered"]
    rate = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    with app.connection() as connection:
        connection.ensure_connection()
        say("ready")
        with app.producer_or_acquire() as producer:
            start, start_us = time.monotonic(), now_us()
            for n in range(jobs if rate > 0 else 0):
                due = n / rate
                wait = start + due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                sent_us = start_us + int(due * 1_000_000)
                bench.apply_async((work_ms, None, sent_us), producer=producer)
            for n in range(jobs if rate <= 0 else 0):
                arguments = (work_ms, n) if numbered else (work_ms,)
                bench.apply_async(arguments, producer=producer)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    say(f"cpu {usage.ru_utime + usage.ru_stime}")
else:
    sys.stderr.write("usage: bench.py consume|produce ...\n")
    sys.exit(2)
