// Functions that compiled code calls by name (registered with the JIT in executable.cpp).
#include "compiler/library_calls.h"

#include "runtime/kernels.h"

#include <algorithm>
#include <string>
#include <utility>

namespace tf::compiler {

namespace {
thread_local std::string library_error;

// MLIR's descriptor of a memref<?x?xf32> (R = 2) or memref<?x?x?xf32> (R = 3).
template <int R>
struct MemRef {
  float* allocated;
  float* aligned;
  int64_t offset;
  int64_t sizes[R];
  int64_t strides[R];
};

// C = A * B through the eager float32 GEMM kernel (oneDNN), so compiled and eager matmul are
// the same code. Compiled code cannot unwind C++ exceptions, so a failure is recorded and raised
// by Executable::run when the compiled function returns.
void gemm(const float* a, const float* b, float* c, int64_t m, int64_t k, int64_t n) {
  try {
    rt::kernels(rt::DeviceType::kCPU).matmul[int(float32)](a, b, c, m, k, n, false, false);
  } catch (const std::exception& e) {
    library_error = e.what();
  }
}

// Operands are contiguous (the pass only rewrites identity layouts).
void sgemm(MemRef<2>* a, MemRef<2>* b, MemRef<2>* c) {
  gemm(a->aligned + a->offset, b->aligned + b->offset, c->aligned + c->offset, a->sizes[0],
       a->sizes[1], b->sizes[1]);
}

void sgemm_batched(MemRef<3>* a, MemRef<3>* b, MemRef<3>* c) {
  for (int64_t i = 0; i < a->sizes[0]; ++i)
    gemm(a->aligned + a->offset + i * a->strides[0], b->aligned + b->offset + i * b->strides[0],
         c->aligned + c->offset + i * c->strides[0], a->sizes[1], a->sizes[2], b->sizes[2]);
}

}  // namespace

std::string take_library_error() { return std::exchange(library_error, {}); }

std::vector<LibraryCall> library_calls() {
  return {{"_mlir_ciface_tfjit_sgemm", reinterpret_cast<void*>(&sgemm)},
          {"_mlir_ciface_tfjit_sgemm_batched", reinterpret_cast<void*>(&sgemm_batched)}};
}

}  // namespace tf::compiler
