#!/usr/bin/env bash
# Clean debug builds of this crate, each in its own emptied target directory: nalgebra alone,
# shapegrad without its default features, shapegrad with them (README, "Features and build
# time"). The three take turns, run after run, so that a machine's drift touches all three.
# Prints every run's wall-clock seconds and each one's median.
#
#   benches/build_time/measure.sh [RUNS]      (default 5)
#
# Crates are downloaded first and not timed. Incremental compilation is off, as it is for a
# dependency from a registry. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-5}
export CARGO_INCREMENTAL=0
cargo fetch --quiet

names=("nalgebra alone" "shapegrad, default-features = false" "shapegrad, default features")
flags=("" "--features shapegrad" "--features shapegrad-default")
declare -a times=("" "" "")

for run in $(seq "$runs"); do
  for i in 0 1 2; do
    dir="target/measure-$i"
    rm -rf "$dir"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086 # the flags are words
    cargo build --quiet --offline --target-dir "$dir" ${flags[$i]}
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    times[i]="${times[$i]} $t"
    printf 'run %d  %-38s %6.1f s\n' "$run" "${names[$i]}" "$t"
  done
done

echo
for i in 0 1 2; do
  median=$(echo "${times[$i]}" | tr ' ' '\n' | sed '/^$/d' | sort -n \
    | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
  printf 'median  %-38s %6.1f s  (%d runs)\n' "${names[$i]}" "$median" "$runs"
done
