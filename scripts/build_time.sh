#!/usr/bin/env bash
# Clean build time of libtfjit.so at a revision (ccache off), and its slowest translation units,
# from a fresh worktree and build folder.
#   scripts/build_time.sh [REV=HEAD] [TARGETS=tfjit]
# Prints the wall time of `ninja TARGETS`, the machine's cores and load, and the ten longest
# compile steps (from .ninja_log).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--help" ]; then sed -n 2,6p "$0"; exit 0; fi
rev=${1:-HEAD}
targets=${2:-tfjit}
work=$(mktemp -d /tmp/tfjit-build-time.XXXXXX)
trap 'git worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/src" "$rev" >/dev/null 2>&1
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER_LAUNCHER= -DBUILD_TESTING=OFF >/dev/null
echo "revision $(git rev-parse --short "$rev"), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
CCACHE_DISABLE=1 ninja -C "$work/build" $targets >/dev/null
end=$(date +%s.%N)
echo "clean build of '$targets': $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
echo "slowest compile steps (s):"
awk 'NR > 1 { printf "%8.1f  %s\n", ($2 - $1) / 1000, $4 }' "$work/build/.ninja_log" | sort -rn | head -10
