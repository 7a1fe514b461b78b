#!/usr/bin/env bash
# The scale-out benchmarks of docs/benchmarks.md ("Scale-out (tf::distribute)"): all-reduce
# latency per message size (tfjit's MPI communicator against MPI_Allreduce called directly) on 2
# and 4 ranks, and the training step of two MLPs under MultiWorkerMirroredStrategy on 1, 2 and 4
# ranks against PyTorch DDP (gloo) on the same data, initial weights and global batch. The whole
# sequence runs PASSES times (tfjit and DDP alternating, so a burst of load on the shared machine
# hits one pass of each rather than one framework); the report takes each configuration's median
# over the passes and shows their range. Writes one JSON and one log per run
# (NAME-passK.json/.log), setup.txt, load.txt (uptime and the busiest processes before each run)
# and report.md (ddp_peers.py --report) into the output directory.
#
#   scripts/peers/run_distributed.sh [--quick]
#
# --quick: fewer sizes, steps and repeats (a smoke run; the figures are noise).
#
# Environment: TFJIT_BUILD_DIR (where tools/tfjit-bench-collectives is; default build),
# DIST_OUT (default docs/results/cpu-<UTC date>-distribute), DIST_DATA (the .npy data and
# weights; default /tmp/tfjit-distribute-data), PASSES (default 3), REPEATS (timed batches per
# run; default 5), STEPS (training steps per batch; default 20), RANKS (default "1 2 4"),
# MPIRUN_ARGS (default "--oversubscribe --allow-run-as-root --bind-to none"), QUIET_WAIT (seconds
# each run may wait for other work on the machine to drop under 0.2 cores; default 120) and
# QUIET_WAIT_TOTAL (the most all runs wait together; default 900).
#
# Each run's NAME.cpu.json says how many cores other work took during it (the machine's CPU time
# less the run's own); the report keeps, per configuration, the passes where that stayed under
# 0.25 (when there is one). Every rank runs one intra-op thread (OMP_NUM_THREADS=1, --threads 1,
# torch.set_num_threads(1)), plus one 1-rank x 2-thread run per framework (the whole machine for
# one process: what data parallelism on 2 cores competes with). tfjit's disk cache is off
# (TFJIT_DISK_CACHE=0), so each run's first step is a cold compile.
# Exit status: 0, or 2 if a run failed or a loss check did not match (the others still run).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${TFJIT_BUILD_DIR:-$root/build}
bench=$build/tools/tfjit-bench-collectives
python=$root/.venv-peers/bin/python
out=${DIST_OUT:-$root/docs/results/cpu-$(date -u +%F)-distribute}
data=${DIST_DATA:-/tmp/tfjit-distribute-data}
passes=${PASSES:-3}
repeats=${REPEATS:-5}
steps=${STEPS:-20}
read -r -a ranks <<<"${RANKS:-1 2 4}"
read -r -a mpirun_args <<<"${MPIRUN_ARGS:---oversubscribe --allow-run-as-root --bind-to none}"
sizes=()
for a in "$@"; do
  case $a in
    --quick) passes=1 repeats=2 steps=5 sizes=(--max-bytes 1048576 --batch-ms 5) ;;
    *) echo "usage: $0 [--quick]" >&2; exit 1 ;;
  esac
done
[[ -x $bench ]] || { echo "no $bench: build it (ninja -C $build tfjit-bench-collectives)" >&2; exit 1; }
[[ -x $python ]] || { echo "no $python: scripts/peers/run_peers.sh makes .venv-peers" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "no mpirun: apt-get install openmpi-bin" >&2; exit 1; }
mkdir -p "$out"
export OMP_NUM_THREADS=1 GLOO_SOCKET_IFNAME=lo TFJIT_DISK_CACHE=0
status=0

hz=$(getconf CLK_TCK)
busy_jiffies() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# Cores busy with other work right now (over one second; nothing of ours runs between runs).
foreign_now() {
  local b0 b1
  b0=$(busy_jiffies)
  sleep 1
  b1=$(busy_jiffies)
  awk -v d=$((b1 - b0)) -v hz="$hz" 'BEGIN{printf "%.2f", d / hz}'
}
load() {
  {
    echo "$(date -u +%FT%TZ) $1: $(uptime)"
    top -b -n 1 -w 160 | sed -n '8,10p'  # the busiest processes now (ours have not started)
  } >>"$out/load.txt"
}
# Waits until other work uses under 0.2 cores: at most QUIET_WAIT seconds (default 120) per run
# and QUIET_WAIT_TOTAL (default 900) in all; sets `before` to the last figure.
waited_total=0
quiet() {
  local waited=0
  while before=$(foreign_now); awk -v f="$before" 'BEGIN{exit !(f > 0.2)}' &&
    ((waited < ${QUIET_WAIT:-120} && waited_total < ${QUIET_WAIT_TOTAL:-900})); do
    ((waited == 0)) && echo "[run_distributed] waiting for a quieter machine ($before cores busy)" >&2
    waited=$((waited + 1)) waited_total=$((waited_total + 1))
  done
}
run() {  # run NAME COMMAND...: the JSON to $out/NAME.json, stderr to $out/NAME.log
  local name=$1
  shift
  local b0 b1 rc
  quiet
  echo "[run_distributed] $name" >&2
  load "$name"
  b0=$(busy_jiffies)
  /usr/bin/time -f "%e %U %S" -o "$out/$name.time" "$@" >"$out/$name.json" 2>"$out/$name.log"
  rc=$?
  b1=$(busy_jiffies)
  # The machine's CPU time during the run less the run's own (its process tree's user + system
  # time): what other work took from the run, in cores on average.
  read -r wall user sys < <(tail -1 "$out/$name.time")
  rm -f "$out/$name.time"
  awk -v wall="$wall" -v own="$(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}')" \
    -v machine=$((b1 - b0)) -v hz="$hz" -v before="$before" 'BEGIN{
      f = (machine / hz - own) / wall; if (f < 0) f = 0
      printf "{\"wall_s\": %.2f, \"own_cpu_s\": %.2f, \"machine_cpu_s\": %.2f, \"foreign_cores\": %.3f, \"foreign_cores_before\": %.2f}\n", wall, own, machine / hz, f, before}' \
    >"$out/$name.cpu.json"
  if ((rc != 0)); then
    echo "[run_distributed] $name FAILED (exit $rc): see $out/$name.log" >&2
    status=2
  fi
}

: >"$out/load.txt"
{
  echo "tfjit-bench-collectives built $(date -u -r "$bench" +%FT%TZ) in $build; HEAD now $(git -C "$root" rev-parse --short HEAD), working tree:"
  git -C "$root" status --short | sed 's/^/  /'
  # Sources changed after the binary was built: the figures are not those of the tree as it is.
  newer=$(cd "$root" && find core ops runtime ir compiler backends frontend tools -newer "$bench" \
    \( -name '*.cpp' -o -name '*.h' -o -name '*.td' \) 2>/dev/null | head -20)
  [[ -z $newer ]] || echo "WARNING: sources newer than the binary: $newer"
  mpirun --version | head -1
  "$python" -c 'import torch; print("torch", torch.__version__)'
  lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Core|Socket'
  echo "mpirun ${mpirun_args[*]}; OMP_NUM_THREADS=1; passes $passes; repeats $repeats; steps $steps"
} >"$out/setup.txt"
"$python" "$root/scripts/peers/ddp_peers.py" --write-data "$data"

port=29531
for pass in $(seq "$passes"); do
  # 1. All-reduce latency per size, 2 and 4 ranks.
  for n in "${ranks[@]}"; do
    ((n > 1)) || continue
    run "allreduce-np$n-pass$pass" mpirun "${mpirun_args[@]}" -np "$n" -x TFJIT_DISK_CACHE \
      "$bench" --json --threads 1 --repeats "$repeats" "${sizes[@]}"
  done

  # 2. Training steps: strong scaling (global batch 256) on every rank count, weak scaling (256
  # per rank) beyond one, one rank on two threads; tfjit first, then DDP checked against its
  # losses before DDP times anything.
  for model in digits mlp; do
    configs=()
    for n in "${ranks[@]}"; do configs+=("strong $n 1"); done
    for n in "${ranks[@]}"; do ((n > 1)) && configs+=("weak $n 1"); done
    configs+=("strong 1 2")
    for config in "${configs[@]}"; do
      read -r scaling n threads <<<"$config"
      flags=(--model "$model" --data "$data" --global-batch 256 --threads "$threads"
        --repeats "$repeats" --steps "$steps")
      [[ $scaling == weak ]] && flags+=(--weak)
      tag="$model-$scaling-np$n-t$threads-pass$pass"
      run "tfjit-$tag" env OMP_NUM_THREADS="$threads" mpirun "${mpirun_args[@]}" -np "$n" \
        -x OMP_NUM_THREADS -x TFJIT_DISK_CACHE "$bench" --json "${flags[@]}"
      expect=()
      [[ $scaling == strong && -s $out/tfjit-$tag.json ]] && expect=(--expect "$out/tfjit-$tag.json")
      port=$((port + 1))
      run "torch-$tag" env OMP_NUM_THREADS="$threads" MASTER_PORT=$port mpirun \
        "${mpirun_args[@]}" -np "$n" -x OMP_NUM_THREADS -x MASTER_PORT -x GLOO_SOCKET_IFNAME \
        "$python" "$root/scripts/peers/ddp_peers.py" --json "${flags[@]}" "${expect[@]}"
    done
  done
done
load "end"

"$python" "$root/scripts/peers/ddp_peers.py" --report "$out" >"$out/report.md" || status=2
cat "$out/report.md"
exit $status
