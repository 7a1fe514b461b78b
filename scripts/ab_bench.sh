#!/usr/bin/env bash
# Two builds of tfjit-bench, alternating: old, new, new, old, old, new, ... so that a machine that
# speeds up or slows down hits both alike over each pair of rounds. Prints each row's median per
# round (old N beside new N, whichever ran first) and keeps the JSON.
#
#   scripts/ab_bench.sh OLD_BENCH NEW_BENCH [ROUNDS] [-- tfjit-bench options...]
#
# OLD_BENCH / NEW_BENCH: tfjit-bench binaries (e.g. a fresh clone's build of the previous commit,
# and build/tools/tfjit-bench). ROUNDS: default 4. Options after -- go to both (default:
# --only transformer --threads 2). JSON goes to $AB_OUT (default build/ab): old-N.json, new-N.json,
# with `uptime` before each run in uptime.txt. Exit status: 0, 1 on a usage error, 2 if a run
# failed (its row's result was wrong, or it crashed).
set -euo pipefail

usage() { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
if [[ ${1:-} == --help || ${1:-} == -h ]]; then usage; exit 0; fi
if [[ $# -lt 2 ]]; then usage >&2; exit 1; fi
old=$1 new=$2
shift 2
rounds=4
if [[ $# -gt 0 && $1 != -- ]]; then rounds=$1; shift; fi
[[ ${1:-} == -- ]] && shift
options=("$@")
[[ ${#options[@]} -eq 0 ]] && options=(--only transformer --threads 2)
for bench in "$old" "$new"; do
  [[ -x $bench ]] || { echo "ab_bench: $bench is not an executable" >&2; exit 1; }
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ab_bench: ROUNDS must be a positive integer" >&2; exit 1; }

out=${AB_OUT:-build/ab}
mkdir -p "$out"
: > "$out/uptime.txt"
status=0
for ((round = 1; round <= rounds; ++round)); do
  # Old first in odd rounds, new first in even ones.
  sides=(old new)
  ((round % 2 == 0)) && sides=(new old)
  for side in "${sides[@]}"; do
    bench=$old
    [[ $side == new ]] && bench=$new
    echo "[ab_bench] round $round/$rounds: $side ($bench ${options[*]})" >&2
    echo "$side-$round $(uptime)" >> "$out/uptime.txt"
    "$bench" "${options[@]}" --json > "$out/$side-$round.json" || status=2
  done
done

python3 - "$out" "$rounds" <<'EOF'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def rows(side, r):
    try:
        return {(x["workload"], x["variant"]): x["us"] for x in json.load(open(f"{out}/{side}-{r}.json"))["rows"]}
    except (OSError, ValueError, KeyError):
        return {}
runs = {(s, r): rows(s, r) for s in ("old", "new") for r in range(1, rounds + 1)}
keys = list(dict.fromkeys(k for run in runs.values() for k in run))
print("| workload | variant | " + " | ".join(f"old {r} | new {r}" for r in range(1, rounds + 1)) + " |")
print("|---|---|" + "---:|---:|" * rounds)
fmt = lambda v: "" if v is None else (f"{v / 1000:.1f} ms" if v >= 10000 else f"{v:.1f} µs")
for k in keys:
    cells = [fmt(runs[(s, r)].get(k)) for r in range(1, rounds + 1) for s in ("old", "new")]
    print(f"| {k[0]} | {k[1]} | " + " | ".join(cells) + " |")
EOF
exit $status
