#!/usr/bin/env bash
# Everything a lent GPU machine should check, in one call of the device tool (a session has 15
# minutes of device time in all; this takes at most about 7). Prepare here, after a build:
#
#   scripts/gpu/bundle.sh
#   device tool: run  command="bash scripts/gpu/device_check.sh"  carry=[".gpu-bundle", ".gpu-debs"]
#                     timeout_s=430
#
# Steps, each with its own time limit so one that hangs leaves time for the rest: the GPU's
# identity, the [device] tests (GPU against CPU), the rest of the suite, tfjit-bench --json (CPU
# and GPU rows), PyTorch/JAX on the same GPU workloads (scripts/peers/peers.py) and
# compute-sanitizer over the compiled kernels' test. Logs and JSON
# go to $OUT (8 files: as many as come back); a summary (the GPU, then each step's exit status)
# comes last.
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
} >>"$summary" 2>&1
cat "$summary" >&2

# The [device] tests first (the GPU against the CPU), then everything else.
step device-tests 60 tfjit-tests "[device]" --durations yes
step other-tests 100 tfjit-tests "~[device]"
step bench-json 60 tfjit-bench --json
# One peer per step, so that one running out of time leaves the other's JSON.
step torch-json 70 python3 scripts/peers/peers.py --only torch-gpu --json
step jax-json 60 python3 scripts/peers/peers.py --only jax-gpu --json
# compute-sanitizer's memcheck over the compiled kernels' GPU-against-CPU test (large, ragged and
# reduction kernels): out-of-bounds or misaligned accesses the comparison alone could miss.
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
step memcheck 50 "$sanitizer" --tool memcheck --error-exitcode 9 \
  tfjit-tests "compiled reductions\\, softmax\\, transposes and casts give the same values on GPU and CPU"

echo "== the ends of the logs" >&2
tail -n 4 "$out/device-tests.log" "$out/other-tests.log" "$out/memcheck.log" >&2
tail -n 20 "$out/stderr.log" >&2
echo "== summary" >&2
cat "$summary" >&2
