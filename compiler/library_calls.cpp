// Functions that compiled code calls by name (registered with the JIT in executable.cpp).
#include "compiler/library_calls.h"

#include <dnnl.h>

#include <algorithm>
#include <string>
#include <utility>

namespace tf::compiler {

namespace {
thread_local std::string library_error;

// MLIR's descriptor of a rank-2 memref (what memref<?x?xf32> lowers to).
struct MemRef2D {
  float* allocated;
  float* aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

// C = A * B + beta * C. Compiled code cannot unwind C++ exceptions, so a failure is recorded
// and raised by Executable::run when the compiled function returns.
template <int kBeta>
void sgemm(MemRef2D* a, MemRef2D* b, MemRef2D* c) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = b->sizes[1];
  float* out = c->aligned + c->offset;
  if (m == 0 || n == 0) return;
  if (k == 0) {  // oneDNN rejects k == 0: the empty sum is 0
    if (kBeta == 0)
      for (int64_t i = 0; i < m; ++i) std::fill_n(out + i * c->strides[0], n, 0.0f);
    return;
  }
  dnnl_status_t s = dnnl_sgemm('N', 'N', m, n, k, 1.0f, a->aligned + a->offset, a->strides[0],
                               b->aligned + b->offset, b->strides[0], static_cast<float>(kBeta),
                               out, c->strides[0]);
  if (s != dnnl_success)
    library_error = "matmul: oneDNN sgemm failed with status " + std::to_string(s);
}
}  // namespace

std::string take_library_error() { return std::exchange(library_error, {}); }

std::vector<LibraryCall> library_calls() {
  return {{"_mlir_ciface_tfjit_sgemm", reinterpret_cast<void*>(&sgemm<0>)},
          {"_mlir_ciface_tfjit_sgemm_acc", reinterpret_cast<void*>(&sgemm<1>)}};
}

}  // namespace tf::compiler
