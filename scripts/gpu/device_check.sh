#!/usr/bin/env bash
# Everything a lent GPU machine should check, in one call of the device tool (a session has 15
# minutes of device time in all; this takes at most about 8.5). Prepare here, after a build:
#
#   scripts/gpu/bundle.sh
#   device tool: run  command="bash scripts/gpu/device_check.sh"  carry=[".gpu-bundle", ".gpu-debs"]
#                     timeout_s=560
#
# Steps, each with its own time limit so one that hangs leaves time for the rest: the GPU's
# identity, the [device] tests (GPU against CPU), the rest of the suite, tfjit-bench --json (CPU
# and GPU rows) and PyTorch/JAX on the same GPU workloads (scripts/peers/peers.py). Logs and JSON
# go to $OUT (8 files: as many as come back); a summary of each step's exit status comes last.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/tfjit-device-check}
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"

source .gpu-bundle/unpack.sh .gpu-debs
source .gpu-bundle/env.sh

# step NAME SECONDS COMMAND...: stdout to NAME.log (NAME.json for --json steps), stderr appended.
step() {
  local name=$1 limit=$2 started=$SECONDS
  shift 2
  local log=$out/$name.log
  [[ $name == *-json ]] && log=$out/${name%-json}.json
  echo "== $name (limit ${limit}s)" >&2
  timeout --kill-after=3 "$limit" "$@" >"$log" 2>>"$out/stderr.log"
  local rc=$?
  printf '%-14s exit %3d  %4ds\n' "$name" "$rc" $((SECONDS - started)) | tee -a "$summary" >&2
}

{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
  date -u
} >"$out/gpu.txt" 2>&1
cat "$out/gpu.txt" >&2

# The [device] tests first (the GPU against the CPU), then everything else.
step device-tests 90 tfjit-tests "[device]" --durations yes
step other-tests 110 tfjit-tests "~[device]"
step bench-json 120 tfjit-bench --json
# One peer per step, so that one running out of time leaves the other's JSON.
step torch-json 100 python3 scripts/peers/peers.py --only torch-gpu --json
step jax-json 90 python3 scripts/peers/peers.py --only jax-gpu --json

echo "== the ends of the logs" >&2
tail -n 4 "$out/device-tests.log" "$out/other-tests.log" >&2
tail -n 20 "$out/stderr.log" >&2
echo "== summary" >&2
cat "$summary" >&2
