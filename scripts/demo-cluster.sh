#!/usr/bin/env bash
# The distributed sample on one machine: a throwaway redis-server on loopback, one publisher,
# three workers (tokio, async-std, smol), one killed with SIGKILL halfway and replaced, and the
# queue's status at the end accounting for every job.
#
#   bash scripts/demo-cluster.sh [jobs]          (needs redis-server: apt-get install redis-server)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20000}
command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install redis-server" >&2; exit 1; }
cargo build --release --quiet -p sampleapp
# Where cargo put it: CARGO_TARGET_DIR or a config may move the target directory.
target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
app="$target_dir/release/sampleapp"
[ -x "$app" ] || { echo "the sample app is not at $app after the build" >&2; exit 1; }

# Runs "$@" every 0.2 s until it succeeds; gives up after $1 seconds, saying what it waited for.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "gave up after ${seconds} s waiting for $what" >&2
      exit 1
    fi
    sleep 0.2
  done
}

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >/dev/null &
redis_pid=$!
workers=()
cleanup() {
  if [ "${#workers[@]}" -gt 0 ]; then kill "${workers[@]}" 2>/dev/null || true; fi
  kill "$redis_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
url="redis://127.0.0.1:$port"
answers() { "$app" status --redis "$url" --window 0s >/dev/null 2>&1; }
wait_for 10 "redis-server to answer on port $port" answers

# What is left: the queue's length, and its held and delayed entries (retries wait there),
# as "LENGTH HELD_OR_DELAYED".
queue_left() {
  "$app" status --redis "$url" --window 0s --json \
    | python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["length"], s["pending"] + s["delayed"])'
}

work() {
  "$app" work --redis "$url" --runtime "$1" --workers 16 --visibility-timeout 3s --log-level error &
}

echo "== publishing $jobs jobs (1 to 5 ms each, 1 % fail every attempt)"
"$app" publish --redis "$url" --count "$jobs" --job-ms 1..5 --fail-rate 0.01

echo "== three workers, one per runtime"
for runtime in tokio async-std smol; do
  work "$runtime"
  workers+=($!)
done
half_done() { read -r left _ < <(queue_left) && [ "$left" -le $((jobs / 2)) ]; }
wait_for 300 "half the jobs to finish" half_done

echo "== halfway: killing the tokio worker (SIGKILL), starting another"
kill -9 "${workers[0]}"
wait "${workers[0]}" 2>/dev/null || true
work tokio
workers[0]=$!
"$app" status --redis "$url" --window 0s

drained() { read -r left held < <(queue_left) && [ "$left" -eq 0 ] && [ "$held" -eq 0 ]; }
wait_for 300 "the queue to drain" drained

echo "== drained: stopping the workers (Ctrl-C drains each)"
kill -INT "${workers[@]}"
for pid in "${workers[@]}"; do wait "$pid" || true; done
workers=()

echo "== final status"
"$app" status --redis "$url" --window 0s
"$app" status --redis "$url" --window 0s --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
acked, dead = s["acknowledged_total"], s["dead_lettered_total"]
print("every job accounted for:", acked, "acknowledged +", dead, "dead letters =", acked + dead, "of", sys.argv[1])
print("(the killed worker stays listed, holding nothing, until the living forget it: 10 minutes)")
sys.exit(0 if acked + dead == int(sys.argv[1]) and s["length"] == 0 and s["pending"] == 0 and s["delayed"] == 0 else 1)
' "$jobs"
