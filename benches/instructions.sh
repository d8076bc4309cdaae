#!/usr/bin/env bash
# Instructions per job, counted by callgrind: unlike times, the same whatever else the machine
# is doing. For each runtime and approach: (instructions for N jobs - for 0 jobs) / N.
#
#   bash benches/instructions.sh [jobs]        (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20000}
cargo build --release -p benches --bin one >/dev/null 2>&1
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/one "$@" 2>&1 \
        | awk '/Collected/ { gsub(",", "", $4); print $4 }'
}
echo "| runtime | pool | pool-closures | channel | spawn-per-job | pool-handles | channel-oneshot |"
echo "|---|---|---|---|---|---|---|"
for runtime in tokio async-std smol; do
    row="| $runtime |"
    for approach in pool pool-closures channel spawn-per-job pool-handles channel-oneshot; do
        base=$(count "$runtime" "$approach" 0)
        full=$(count "$runtime" "$approach" "$jobs")
        row="$row $(( (full - base) / jobs )) |"
    done
    echo "$row"
done
