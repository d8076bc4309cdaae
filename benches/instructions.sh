#!/usr/bin/env bash
# Instructions per job, counted by callgrind: unlike times, the same whatever else the machine
# is doing. For each runtime and approach: (instructions for N jobs - for 0 jobs) / N.
#
#   bash benches/instructions.sh [jobs]        (needs valgrind: apt-get install valgrind)
#   RUNTIMES=tokio APPROACHES="pool pool-closures" bash benches/instructions.sh
#
# Honours CARGO_TARGET_DIR, as cargo does.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-20000}
runtimes=${RUNTIMES:-tokio async-std smol}
approaches=${APPROACHES:-pool pool-closures pool-carrying pool-two-kinds pool-timed channel spawn-per-job pool-handles channel-oneshot}
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release -p benches --bin one >/dev/null 2>&1
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$target_dir/release/one" "$@" 2>&1 \
        | awk '/Collected/ { gsub(",", "", $4); print $4 }'
}
header="| runtime |"
rule="|---|"
for approach in $approaches; do
    header="$header $approach |"
    rule="$rule---|"
done
echo "$header"
echo "$rule"
for runtime in $runtimes; do
    row="| $runtime |"
    for approach in $approaches; do
        base=$(count "$runtime" "$approach" 0)
        full=$(count "$runtime" "$approach" "$jobs")
        row="$row $(( (full - base) / jobs )) |"
    done
    echo "$row"
done
