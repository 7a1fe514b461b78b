// Functions that compiled code calls by name (registered with the JIT in executable.cpp).
#include "compiler/library_calls.h"

#include <algorithm>
#include <string>
#include <utility>

#include "backends/cpu/matmul_fused.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/kernels.h"

namespace tf::compiler {

namespace {
thread_local std::string library_error;

// MLIR's descriptor of a memref<?xf32> (R = 1), memref<?x?xf32> (R = 2) or memref<?x?x?xf32>.
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

// C = act(A * B + bias) (compiler/lowering/fuse_matmul_epilogue.cpp); contiguous operands.
void sgemm_bias_act(MemRef<2>* a, MemRef<2>* b, MemRef<1>* bias, MemRef<2>* c, int64_t act) {
  try {
    cpu::sgemm_bias_act(a->aligned + a->offset, b->aligned + b->offset,
                        bias->aligned + bias->offset, c->aligned + c->offset, a->sizes[0],
                        a->sizes[1], b->sizes[1], act);
  } catch (const std::exception& e) {
    library_error = e.what();
  }
}

// tf::print's texts: NUL-terminated constant globals of the compiled module, as memref<?xi8>.
struct Text {
  const char* allocated;
  const char* aligned;
  int64_t offset, size, stride;
};
std::string_view text(const Text* t) {
  return std::string_view(t->aligned + t->offset, static_cast<size_t>(t->size - 1));
}

// MLIR's unranked memref as the C interface passes it: the rank and a ranked descriptor
// {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct UnrankedMemRef {
  int64_t rank;
  void* descriptor;
};

// The line a compiled tf::print is building on this thread: one call per tensor, then end.
thread_local std::string print_line;

// Copies the (possibly strided) memref into a tensor and appends `text` and its values.
template <int D>
void print_tensor(UnrankedMemRef* m, const Text* text_before) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    auto* d = static_cast<int64_t*>(m->descriptor);
    const char* base = reinterpret_cast<const char*>(d[1]);
    int64_t offset = d[2];
    std::vector<int64_t> sizes(d + 3, d + 3 + m->rank),
        strides(d + 3 + m->rank, d + 3 + 2 * m->rank);
    Tensor t = detail::empty(dtype, TensorShape(sizes));
    char* out = static_cast<char*>(t.impl()->buffer->data());
    size_t size = dtype_size(dtype);
    std::vector<int64_t> index(sizes.size(), 0);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      int64_t at = offset;
      for (size_t k = 0; k < index.size(); ++k) at += index[k] * strides[k];
      std::copy_n(base + at * static_cast<int64_t>(size), size,
                  out + i * static_cast<int64_t>(size));
      for (size_t k = index.size(); k-- > 0;) {  // next row-major index
        if (++index[k] < sizes[k]) break;
        index[k] = 0;
      }
    }
    print_line += text(text_before);
    print_line += detail::print_values(t);
  } catch (const std::exception& e) {
    library_error = e.what();
  }
}

void print_end(const Text* text_after) {
  try {
    std::string line = std::exchange(print_line, {});
    line += text(text_after);
    detail::write_print_line(line);
  } catch (const std::exception& e) {
    library_error = e.what();
  }
}

template <int... D>
void add_print_calls(std::vector<LibraryCall>& calls, std::integer_sequence<int, D...>) {
  // Symbol names as declared by the print lowering: tfjit_print_<dtype name>.
  static const std::string names[] = {"_mlir_ciface_tfjit_print_" +
                                      std::string(dtype_name(static_cast<DType>(D)))...};
  (calls.push_back({names[D].c_str(), reinterpret_cast<void*>(&print_tensor<D>)}), ...);
}

}  // namespace

std::string take_library_error() { return std::exchange(library_error, {}); }

std::vector<LibraryCall> library_calls() {
  std::vector<LibraryCall> calls = {
      {"_mlir_ciface_tfjit_sgemm", reinterpret_cast<void*>(&sgemm)},
      {"_mlir_ciface_tfjit_sgemm_batched", reinterpret_cast<void*>(&sgemm_batched)},
      {"_mlir_ciface_tfjit_sgemm_bias_act", reinterpret_cast<void*>(&sgemm_bias_act)},
      {"_mlir_ciface_tfjit_print_end", reinterpret_cast<void*>(&print_end)}};
  // string and complex64 never reach compiled code; registering them is harmless.
  add_print_calls(calls, std::make_integer_sequence<int, kNumDTypes>{});
  return calls;
}

}  // namespace tf::compiler
