#!/usr/bin/env bash
# Cold compile time of one graph with code generation on 1 thread and on N, alternating (1, N, 1,
# N, ...) so that a slow spell of a shared machine hits both alike: tfjit-dump --time's total and
# its LLVM share per run, then the medians.
#
#   scripts/compile_threads.sh [ROUNDS] [EXAMPLE] [N]
#
# ROUNDS: default 8. EXAMPLE: a tfjit-dump example (default transformer-step; also mlp-step).
# N (at least 2): default 2. Uses $TFJIT_DUMP (default build/tools/tfjit-dump). Exit status: 0, 1 on a usage
# error, 2 if a compile failed.
set -euo pipefail

if [[ ${1:-} == --help || ${1:-} == -h ]]; then sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
rounds=${1:-8} example=${2:-transformer-step} threads=${3:-2}
dump=${TFJIT_DUMP:-build/tools/tfjit-dump}
[[ $rounds =~ ^[1-9][0-9]*$ && $threads =~ ^[1-9][0-9]*$ && $threads -ge 2 ]] ||
  { echo "compile_threads: ROUNDS must be a positive integer, N an integer of at least 2" >&2; exit 1; }
[[ -x $dump ]] || { echo "compile_threads: $dump is not an executable (build first)" >&2; exit 1; }

echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# example $example; total ms (LLVM optimisation + machine code ms)"
declare -A totals
for round in $(seq "$rounds"); do
  line="round $round:"
  for t in 1 "$threads"; do
    report=$("$dump" --example "$example" --time --threads "$t") || exit 2
    total=$(awk '/^compile time/ {print $3}' <<<"$report")
    llvm=$(awk '/LLVM optimisation|machine code/ {s += $1} END {print s}' <<<"$report")
    totals[$t]+="$total "
    line+="  ${t} thread(s) $total ($llvm)"
  done
  echo "$line"
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "median: 1 thread $(median "${totals[1]}") ms, $threads threads $(median "${totals[$threads]}") ms"
