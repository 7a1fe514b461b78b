#!/usr/bin/env bash
# Optional: tfjit-bench's workloads in TensorFlow, JAX and PyTorch next to tfjit itself.
# Makes .venv-peers (git-ignored) on first use, runs build/tools/tfjit-bench --json $REPEATS times
# and peers.py $PEERS_REPEATS times, and prints both tables. Nothing in the build or the tests
# needs this.
#
#   scripts/peers/run_peers.sh [--quick] [--json] [--models | --transformer | --chain]
#
# --models: only the training steps users run (tfjit-bench --only models, peers' *-models).
# --transformer: only the transformer block's step (a quick run of the slowest comparison).
# --chain: tfjit-bench's chain section (elementwise chains, softmax, eager transposes) beside
# TensorFlow's and PyTorch's CPU rows (peers.py runs all of those; the table pairs them by name).
#
# Environment: REPEATS (tfjit-bench runs, median per row; default 3), PEERS_REPEATS (the same for
# peers.py; default 1), PEERS_THREADS (threads for OpenMP, TF and torch; default all cores, as
# tfjit's eager kernels use), PEERS_OUT (where the JSON goes; default build/peers),
# TFJIT_BUILD_DIR (default build), BUSY_PROCESSES (default 0: that many busy-looping processes run
# throughout, for every framework alike: a machine shared with other work). One core for everyone
# (steadier on a shared machine):
#   PEERS_THREADS=1 taskset -c 1 scripts/peers/run_peers.sh
# The training steps users run (tools/workloads.h, scripts/peers/models.py) are the *-models
# rows; every framework's first losses must equal tfjit's (the table flags a mismatch).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.venv-peers
build=${TFJIT_BUILD_DIR:-$root/build}
out=${PEERS_OUT:-$root/build/peers}
mkdir -p "$out"

if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv" || {
    echo "python3 -m venv failed: apt-get install -y python3-venv" >&2
    exit 1
  }
fi
if ! "$venv/bin/python" -c 'import tensorflow, jax, torch' 2>/dev/null; then
  "$venv/bin/pip" install -q --upgrade pip
  # Plain PyPI for all three (PyPI's torch wheel carries CUDA libraries: a few GB, unused here).
  "$venv/bin/pip" install -q tensorflow-cpu 'jax[cpu]' || true
  "$venv/bin/pip" install -q torch || true
fi

quick=() json=0 sections=() model=() frameworks=(tf jax torch tf-models jax-models torch-models)
for a in "$@"; do
  case $a in
    --quick) quick=(--quick) ;;
    --json) json=1 ;;
    --models) sections=(--only models) frameworks=(tf-models jax-models torch-models) ;;
    --transformer)
      sections=(--only transformer) model=(--model transformer)
      frameworks=(tf-models jax-models torch-models) ;;
    --chain) sections=(--only chain) frameworks=(tf torch) ;;
    *) echo "usage: $0 [--quick] [--json] [--models | --transformer | --chain]" >&2; exit 1 ;;
  esac
done

# The same thread count for everyone: tfjit's pool (OpenMP's, which oneDNN shares), TF's and
# torch's pools, XLA's CPU runtime.
threads=${PEERS_THREADS:-$(nproc)}
export PEERS_THREADS=$threads OMP_NUM_THREADS=$threads
export TF_CPP_MIN_LOG_LEVEL=2
if [[ $threads == 1 ]]; then
  export XLA_FLAGS="${XLA_FLAGS:-} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
fi

# Competing work: processes that only spin, started before the first timing and stopped on exit
# (and, should this script be killed outright, by themselves once it is gone). They inherit this
# script's CPU affinity (taskset).
busy=()
trap 'kill "${busy[@]}" 2>/dev/null || true' EXIT
for _ in $(seq "${BUSY_PROCESSES:-0}"); do
  bash -c "while kill -0 $$ 2>/dev/null; do for ((i = 0; i < 1000000; ++i)); do :; done; done" &
  busy+=($!)
done

tfjit=()
if [[ -x $build/tools/tfjit-bench ]]; then
  for i in $(seq "${REPEATS:-3}"); do
    "$build/tools/tfjit-bench" "${quick[@]}" "${sections[@]}" --threads "$threads" --json \
      >"$out/tfjit-$i.json" || true
    tfjit+=("$out/tfjit-$i.json")
  done
else
  echo "no $build/tools/tfjit-bench: build first for the side-by-side table" >&2
fi

# One process per framework: TensorFlow and JAX each bundle LLVM, and in one process their
# command-line option registries collide (an LLVM abort).
peers=()
for rep in $(seq "${PEERS_REPEATS:-1}"); do
  for fw in "${frameworks[@]}"; do
    "$venv/bin/python" "$root/scripts/peers/peers.py" "${quick[@]}" "${model[@]}" --only $fw --json \
      >"$out/peers-$fw-$rep.json" || echo "peers.py --only $fw failed" >&2
    [[ -s $out/peers-$fw-$rep.json ]] && peers+=("$out/peers-$fw-$rep.json")
  done
done
table=(--load "${peers[@]}" --tfjit "${tfjit[@]}")
((json)) && table+=(--json)
"$venv/bin/python" "$root/scripts/peers/peers.py" "${table[@]}"
