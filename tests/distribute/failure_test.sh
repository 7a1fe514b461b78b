#!/bin/bash
# Failure injection under mpirun: rank 1 of 3 dies (SIGKILL), throws, or calls a differently
# shaped all-reduce at step 3; every other rank must end with the expected typed error within
# the bound, and nothing may hang (the whole run is under `timeout`).
#   failure_test.sh <mpirun> <tfjit-distribute-failure> <scenario>
set -u
mpirun=$1 driver=$2 scenario=$3
timeout_s=3  # TFJIT_COLLECTIVE_TIMEOUT: a dead rank is noticed after this long
case ${scenario%-compiled} in
  kill) expect=UnavailableError bound=$((timeout_s + 5)) ;;
  throw) expect=AbortedError bound=5 ;;
  mismatch) expect=InvalidArgumentError bound=5 ;;
esac
# --enable-recovery: mpirun keeps the survivors running when a rank dies, so they can report.
output=$(timeout 60 "$mpirun" --oversubscribe --allow-run-as-root --enable-recovery -np 3 \
  -x TFJIT_COLLECTIVE_TIMEOUT=$timeout_s "$driver" "$scenario" 2>&1)
status=$?
echo "$output"
if [ $status -eq 124 ]; then echo "FAIL: hung (killed after 60 s)"; exit 1; fi
failed=0
for rank in 0 2; do
  line=$(grep "^rank $rank: " <<<"$output")
  if ! grep -q "^rank $rank: $expect after" <<<"$line"; then
    echo "FAIL: rank $rank should have raised $expect"; failed=1; continue
  fi
  seconds=$(sed -E 's/.* after ([0-9.]+) s.*/\1/' <<<"$line")
  if ! awk -v s="$seconds" -v b="$bound" 'BEGIN { exit !(s <= b) }'; then
    echo "FAIL: rank $rank took $seconds s (bound $bound s)"; failed=1
  fi
done
# The failing rank itself: the injected error, or the mismatch reported on its side too.
case ${scenario/mismatch-compiled/mismatch} in
  throw) grep -q "^rank 1: InvalidArgumentError after .*injected failure" <<<"$output" || { echo "FAIL: rank 1"; failed=1; } ;;
  throw-compiled) grep -q "^rank 1: InvalidArgumentError after .*a label is outside" <<<"$output" || { echo "FAIL: rank 1"; failed=1; } ;;
  mismatch) grep -q "^rank 1: InvalidArgumentError after .*float32 x 999" <<<"$output" || { echo "FAIL: rank 1"; failed=1; } ;;
esac
[ $failed -eq 0 ] && echo "PASS"
exit $failed
