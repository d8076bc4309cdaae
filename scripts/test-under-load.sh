#!/usr/bin/env bash
# Runs `cargo test --workspace` N times in a row (default 10) with both cores kept busy by two
# busy loops, started here and stopped by PID: the check that a concurrency change does not
# flake on a loaded 2-core machine. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo test --workspace --no-run --quiet
busy=()
for _ in 1 2; do
  ( while :; do :; done ) &
  busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null || true' EXIT
for run in $(seq 1 "$runs"); do
  started=$(date +%s)
  if ! cargo test --workspace --quiet >"/tmp/test-under-load.$run.log" 2>&1; then
    echo "run $run of $runs FAILED: /tmp/test-under-load.$run.log"
    grep -E "panicked|FAILED|failed" "/tmp/test-under-load.$run.log" | head -20
    exit 1
  fi
  echo "run $run of $runs passed in $(( $(date +%s) - started )) s"
done
