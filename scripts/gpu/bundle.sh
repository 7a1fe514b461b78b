#!/usr/bin/env bash
# Packs what a run on the lent GPU machine needs: it has CUDA (driver, cuBLAS) but neither LLVM/MLIR
# 19 nor oneDNN, and no network. Run here after a build; then carry .gpu-bundle and .gpu-debs:
#
#   here:   scripts/gpu/bundle.sh                   (BUILD=path for another build folder)
#   there:  source .gpu-bundle/unpack.sh .gpu-debs; source .gpu-bundle/env.sh;
#           tfjit-tests "[device]"; tfjit-tests; tfjit-bench --json
#
# .gpu-bundle holds the stripped binaries and libtfjit (xz-compressed), libdevice and the two
# scripts; .gpu-debs the run-time Debian packages (../shared/gpu/runtime-debs.sh). Both are
# ignored by git; the device tool carries at most 64 MiB in all, and this prints the total.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
shared=$root/../shared/gpu
out=$root/.gpu-bundle
libdevice=${TFJIT_LIBDEVICE:-/usr/local/cuda/nvvm/libdevice/libdevice.10.bc}
for f in "$shared/unpack.sh" "$shared/runtime-debs.sh" "$libdevice"; do
  [[ -f $f ]] || { echo "bundle.sh: missing $f" >&2; exit 1; }
done

echo "bundle.sh: building..." >&2
ninja -C "$build" tfjit tfjit-tests tfjit-bench tfjit-dump tfjit-demo >&2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
for f in tests/tfjit-tests tools/tfjit-bench tools/tfjit-dump examples/tfjit-demo; do
  strip -o "$stage/bin/$(basename "$f")" "$build/$f"
done
strip -o "$stage/lib/libtfjit.so.0" "$build/libtfjit.so.0"
rm -rf "$out"
mkdir -p "$out"
tar -C "$stage" -cJf "$out/tfjit.tar.xz" bin lib
cp "$libdevice" "$shared/unpack.sh" "$out/"
cat > "$out/env.sh" <<'ENV'
# Source on the GPU machine after unpack.sh, from the repository root: unpacks the binaries
# into /opt/tfjit and sets PATH, LD_LIBRARY_PATH, libdevice and a fresh cache folder.
mkdir -p /opt/tfjit && tar -C /opt/tfjit -xJf .gpu-bundle/tfjit.tar.xz
export PATH=/opt/tfjit/bin:$PATH
export LD_LIBRARY_PATH=/opt/tfjit/lib:$LD_LIBRARY_PATH
export TFJIT_LIBDEVICE=$PWD/.gpu-bundle/libdevice.10.bc
export TFJIT_CACHE_DIR=/tmp/tfjit-cache
ENV
[[ -d $root/.gpu-debs ]] || "$shared/runtime-debs.sh" "$root/.gpu-debs" >&2
du -ch "$out" "$root/.gpu-debs" | tail -1
