#!/usr/bin/env bash
# Everything a lent GPU machine should check, in one call of the device tool (a session has 15
# minutes of device time in all; this takes at most about 8.5; with the argument `models`, the
# GPU training-step comparison alone, at most 8.4). Prepare here, after a build:
#
#   scripts/gpu/bundle.sh
#   device tool: run  command="bash scripts/gpu/device_check.sh"  carry=[".gpu-bundle", ".gpu-debs"]
#                     timeout_s=520
#
# Steps, each with its own time limit so one that hangs leaves time for the rest: the GPU's
# identity, the [device] tests (GPU against CPU; cuDNN's convolutions among them), the rest of
# the suite, tfjit-bench --json (CPU and GPU rows), conv2d on cuDNN timed directly, eagerly and
# compiled (tfjit-bench --only gpu-conv), PyTorch/JAX on the same GPU workloads
# (scripts/peers/peers.py) and compute-sanitizer over the compiled kernels' test. Logs and JSON
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

# cuDNN (backends/cuda/cudnn.cpp, first run on a GPU here): the system's libcudnn.so.9, else the
# one a Python wheel installed (nvidia-cudnn, PyTorch's); tfjit dlopens it by name.
cudnn_dir=$(ldconfig -p 2>/dev/null | awk '/libcudnn\.so\.9 /{print $NF; exit}' | xargs -r dirname)
if [[ -z $cudnn_dir ]]; then
  cudnn_dir=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0] + "/lib")' 2>/dev/null)
fi
if [[ -n $cudnn_dir && -f $cudnn_dir/libcudnn.so.9 ]]; then
  export LD_LIBRARY_PATH=$cudnn_dir:$LD_LIBRARY_PATH
  echo "cuDNN: $cudnn_dir/libcudnn.so.9" >>"$summary"
else
  echo "cuDNN: no libcudnn.so.9 found (convolutions run on the CPU eagerly)" >>"$summary"
fi

# `device_check.sh models`: instead of the checks below, the training steps of tools/workloads.h
# (MLPs, CNNs, the transformer block) on the GPU, tfjit against PyTorch and JAX, each with the
# same data and initial values (their first losses in the notes, for the table to compare).
# Table them here with: peers.py --load torch-models.json jax-models.json --tfjit models.json
if [[ ${1:-} == models ]]; then
  step models-json 200 tfjit-bench --json --only gpu-models
  step torch-models-json 200 python3 scripts/peers/peers.py --only torch-gpu-models --json
  step jax-models-json 100 python3 scripts/peers/peers.py --only jax-gpu-models --json
  tail -n 20 "$out/stderr.log" >&2
  echo "== summary" >&2
  cat "$summary" >&2
  exit 0
fi

# The [device] tests first (the GPU against the CPU; [cudnn] among them), then everything else.
step device-tests 60 tfjit-tests "[device]" --durations yes
step other-tests 100 tfjit-tests "~[device]"
step bench-json 60 tfjit-bench --json
# conv2d (ResNet shapes, batch 32) on cuDNN direct, eager (cuDNN) and compiled (a cuDNN step),
# with the compiled values checked against the eager ones.
step gpu-conv-json 90 tfjit-bench --json --only gpu-conv
# One peer per step, so that one running out of time leaves the other's JSON.
step torch-json 70 python3 scripts/peers/peers.py --only torch-gpu --json
step jax-json 60 python3 scripts/peers/peers.py --only jax-gpu --json
# compute-sanitizer's memcheck over the compiled kernels' GPU-against-CPU test (large, ragged and
# reduction kernels): out-of-bounds or misaligned accesses the comparison alone could miss.
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
step memcheck 50 "$sanitizer" --tool memcheck --error-exitcode 9 \
  tfjit-tests "compiled reductions\\, softmax\\, transposes and casts give the same values on GPU and CPU"

# At most 8 files come back: the conv rows travel at the end of the device tests' log.
{
  echo "== tfjit-bench --json --only gpu-conv"
  cat "$out/gpu-conv.json"
} >>"$out/device-tests.log" && rm -f "$out/gpu-conv.json"

echo "== the ends of the logs" >&2
tail -n 4 "$out/device-tests.log" "$out/other-tests.log" "$out/memcheck.log" >&2
tail -n 20 "$out/stderr.log" >&2
echo "== summary" >&2
cat "$summary" >&2
