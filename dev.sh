#!/usr/bin/env bash
# The project's entry point on a fresh Debian 12 machine: installs what is missing, builds, runs.
#   ./dev.sh demo    the main job: eager vs tf::function demo, then a digits CNN trained with fit
#   ./dev.sh test    the whole test suite (CTest)
#   ./dev.sh bench   the benchmark harness (tfjit-bench)
#   ./dev.sh sanitize  the test suite built with AddressSanitizer + UBSan (in build-sanitize)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake ninja-build g++ ccache llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools libdnnl-dev libdlpack-dev catch2
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev libopenmpi-dev openmpi-bin)
BUILD_DIR=${TFJIT_BUILD_DIR:-build}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "[dev.sh] installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}

build() {
  echo "[dev.sh] configuring and building in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$BUILD_DIR"
}

# Leaks are not checked: LLVM and MLIR keep process-lifetime allocations by design.
sanitize() {
  BUILD_DIR=${TFJIT_BUILD_DIR:-build-sanitize}
  build -DTFJIT_SANITIZE=ON
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 3000
}

case "${1:-}" in
  demo)  install_packages; build; "$BUILD_DIR/examples/tfjit-demo"
         echo; echo "== A Keras model trained with model.fit (examples/digits_cnn.cpp) =="
         "$BUILD_DIR/examples/digits-cnn" ;;
  test)  install_packages; build; ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" ;;
  bench) install_packages; build; "$BUILD_DIR/tools/tfjit-bench" "${@:2}" ;;
  sanitize) install_packages; sanitize ;;
  *) echo "usage: ./dev.sh demo | test | sanitize | bench [--quick] [--json]" >&2; exit 1 ;;
esac
