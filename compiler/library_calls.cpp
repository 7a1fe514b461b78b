// Functions that compiled code calls by name (registered with the JIT in executable.cpp).
#include "compiler/library_calls.h"

#include <dnnl.h>

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

// C += A * B. Compiled code cannot unwind C++ exceptions, so a failure is recorded and raised
// by Executable::run when the compiled function returns.
void sgemm_acc(MemRef2D* a, MemRef2D* b, MemRef2D* c) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = b->sizes[1];
  if (m == 0 || n == 0 || k == 0) return;
  dnnl_status_t s = dnnl_sgemm('N', 'N', m, n, k, 1.0f, a->aligned + a->offset, a->strides[0],
                               b->aligned + b->offset, b->strides[0], 1.0f, c->aligned + c->offset,
                               c->strides[0]);
  if (s != dnnl_success) library_error = "matmul: oneDNN sgemm failed with status " + std::to_string(s);
}
}  // namespace

std::string take_library_error() { return std::exchange(library_error, {}); }

std::vector<LibraryCall> library_calls() {
  return {{"_mlir_ciface_tfjit_sgemm_acc", reinterpret_cast<void*>(&sgemm_acc)}};
}

}  // namespace tf::compiler
