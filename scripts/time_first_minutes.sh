#!/usr/bin/env bash
# A newcomer's first minutes (README, "Quick start"): the README's two commands on a fresh
# clone with an empty target directory, each timed RUNS times, every run and the median
# printed. Crates are fetched first and not timed (a newcomer's download speed is not ours).
#
#   scripts/time_first_minutes.sh [RUNS] [REV]     (default 3 runs, REV = HEAD)
#
# Each run clones REV of this repository into a fresh temporary directory (so no target/
# directory, no trybuild cache, no incremental state), then times
#   cargo run --release --example spiral
#   cargo test
# in that order, each from an empty target/. Run it on an otherwise idle machine; the figures
# in the README were taken this way.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
rev=${2:-HEAD}
work=$(mktemp -d "${TMPDIR:-/tmp}/shapegrad-first-minutes.XXXXXX")
# The clone and its target/ go when the script ends; the commands' logs stay, for the breakdown.
trap 'rm -rf "$work/clone"; echo "logs: $work"' EXIT
# Whatever the caller's shell set for cargo would not be there for a newcomer.
unset CARGO_TARGET_DIR CARGO_BUILD_JOBS RUSTFLAGS CARGO_INCREMENTAL SHAPEGRAD_REQUIRE_UI TRYBUILD

git clone --quiet "$repo" "$work/clone"
git -C "$work/clone" checkout --quiet --detach "$rev"
(cd "$work/clone" && cargo fetch --quiet)
echo "$(git -C "$work/clone" log -1 --format='%h %s' | cut -c1-100)"
echo "$(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p')), $(rustc --version)"

median() {
  tr ' ' '\n' | sed '/^$/d' | sort -n \
    | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

time_one() { # LOG COMMAND... : seconds of wall clock, the command's output in LOG
  local log=$1 start end
  shift
  rm -rf "$work/clone/target"
  start=$(date +%s.%N)
  (cd "$work/clone" && "$@") >"$log" 2>&1 || {
    echo "FAILED: $* (see $log)" >&2
    tail -20 "$log" >&2
    exit 1
  }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

spiral_times=""
test_times=""
for run in $(seq "$runs"); do
  t=$(time_one "$work/spiral-$run.log" cargo run --release --example spiral)
  spiral_times="$spiral_times $t"
  printf 'run %d  %-40s %6.1f s\n' "$run" "cargo run --release --example spiral" "$t"
  t=$(time_one "$work/test-$run.log" cargo test)
  test_times="$test_times $t"
  tests=$(grep -o '^test result: ok. [0-9]*' "$work/test-$run.log" | awk '{n += $4} END {print n}')
  build=$(grep -o 'Finished `test` profile.* in .*' "$work/test-$run.log" | sed 's/.* in //')
  printf 'run %d  %-40s %6.1f s  (%s tests passed; build %s)\n' "$run" "cargo test" "$t" "$tests" "$build"
done
echo
printf 'median  %-38s %6.1f s  (%d runs)\n' "cargo run --release --example spiral" \
  "$(echo "$spiral_times" | median)" "$runs"
printf 'median  %-38s %6.1f s  (%d runs)\n' "cargo test" "$(echo "$test_times" | median)" "$runs"
