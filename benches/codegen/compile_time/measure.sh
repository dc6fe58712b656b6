#!/usr/bin/env bash
# What a generated module costs rustc in a release build (README, "Code generation"): the
# crate beside this script compiled with an empty module, then with W6's MPC cost generated
# for 9, 27 and 90 steps (about 100, 300 and 1000 nodes; `value_and_gradient` in f64), then
# with the codegen benchmark's own W6 module (`benches/codegen/generated/w6.rs`,
# `value_and_gradient` in f64 and f32, as the benchmark calls it). Only this crate is rebuilt
# and timed (shapegrad and nalgebra are built once, first); prints every run's wall-clock
# seconds, each case's median, and the median above the empty module.
#
#   benches/codegen/compile_time/measure.sh [RUNS]      (default 3)
#
# Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../../.. && pwd)
runs=${1:-3}
target="$root/target/codegen_compile_time"
(cd "$root" && cargo build --quiet -p shapegrad-benches --example codegen_generate)
generate="$root/target/debug/examples/codegen_generate"

# Writes src/module.rs for a case: empty, mpc-STEPS or w6.
write_module() {
  case $1 in
    empty)
      echo 'pub fn nothing() {}' >src/module.rs
      ;;
    mpc-*)
      "$generate" --mpc "${1#mpc-}" src/module.rs >/dev/null
      cat >>src/module.rs <<'RUST'

use shapegrad::nalgebra::SMatrix;

pub fn gradient_f64(u: &SMatrix<f64, 2, 100>) -> (f64, SMatrix<f64, 2, 100>) {
    mpc::value_and_gradient(u)
}
RUST
      ;;
    w6)
      {
        cat "$root/benches/codegen/generated/w6.rs"
        echo
        echo 'use shapegrad::nalgebra::SMatrix;'
        for t in f64 f32; do
          echo "pub fn gradient_$t(u: &[SMatrix<$t, 2, 1>; 20]) -> ($t, w6_generated::Gradients<$t>) {"
          echo -n '    w6_generated::value_and_gradient('
          for k in $(seq 0 19); do echo -n "&u[$k], "; done
          echo ')'
          echo '}'
        done
      } >src/module.rs
      ;;
  esac
}

median() {
  tr ' ' '\n' | sed '/^$/d' | sort -n \
    | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

cases=(empty mpc-9 mpc-27 mpc-90 w6)
declare -A times nodes
for case in "${cases[@]}"; do
  write_module "$case"
  nodes[$case]=$(sed -n 's/.*from a graph of \([0-9]*\) nodes.*/\1/p' src/module.rs | head -1)
  # Builds the dependencies (the first time) and checks that the module compiles.
  cargo build --quiet --release --target-dir "$target"
  for run in $(seq "$runs"); do
    touch src/lib.rs
    start=$(date +%s.%N)
    cargo build --quiet --release --target-dir "$target"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    times[$case]="${times[$case]:-} $t"
    printf 'run %d  %-8s %6.2f s\n' "$run" "$case" "$t"
  done
done
rm -f src/module.rs

echo
empty=$(echo "${times[empty]}" | median)
for case in "${cases[@]}"; do
  m=$(echo "${times[$case]}" | median)
  printf 'median  %-8s %5s nodes  %6.2f s  (%+.2f s above the empty module, %d runs)\n' \
    "$case" "${nodes[$case]:--}" "$m" "$(echo "$m - $empty" | bc)" "$runs"
done
