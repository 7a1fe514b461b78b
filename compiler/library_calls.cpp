// Functions that compiled code calls by name (registered with the JIT in executable.cpp).
#include "compiler/library_calls.h"

#include <algorithm>
#include <string>
#include <utility>

#include "backends/cpu/matmul_fused.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/allocator.h"
#include "runtime/kernels.h"
#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {
// Compiled code cannot unwind C++ exceptions: a library call records its failure here, and
// Executable::run raises it when the compiled function returns. The first failure wins.
thread_local std::exception_ptr library_error;

void record_failure() {
  if (!library_error) library_error = std::current_exception();
}

// MLIR's descriptor of a memref<?xf32> (R = 1), memref<?x?xf32> (R = 2) or memref<?x?x?xf32>.
template <int R>
struct MemRef {
  float* allocated;
  float* aligned;
  int64_t offset;
  int64_t sizes[R];
  int64_t strides[R];
};

// C = op(A) * op(B) through the eager float32 GEMM kernel (oneDNN), so compiled and eager
// matmul are the same code. op transposes where the flag is set.
void gemm(const float* a, const float* b, float* c, int64_t m, int64_t k, int64_t n, bool ta,
          bool tb) {
  try {
    rt::kernels(rt::DeviceType::kCPU).matmul[int(float32)](a, b, c, m, k, n, ta, tb);
  } catch (...) {
    record_failure();
  }
}

// Operands are contiguous (the pass only rewrites identity layouts). C is (m, n); A is (m, k), or
// (k, m) when transposed.
void sgemm(MemRef<2>* a, MemRef<2>* b, MemRef<2>* c, int64_t ta, int64_t tb) {
  gemm(a->aligned + a->offset, b->aligned + b->offset, c->aligned + c->offset, c->sizes[0],
       ta ? a->sizes[0] : a->sizes[1], c->sizes[1], ta, tb);
}

void sgemm_batched(MemRef<3>* a, MemRef<3>* b, MemRef<3>* c, int64_t ta, int64_t tb) {
  try {
    cpu::sgemm_batched(a->aligned + a->offset, b->aligned + b->offset, c->aligned + c->offset,
                       c->sizes[0], c->sizes[1], ta ? a->sizes[1] : a->sizes[2], c->sizes[2], ta,
                       tb);
  } catch (...) {
    record_failure();
  }
}

// C = act(op(A) * op(B) + bias) (compiler/lowering/fuse_matmul_epilogue.cpp); contiguous
// operands, op transposing where the flag is set.
void sgemm_bias_act(MemRef<2>* a, MemRef<2>* b, MemRef<1>* bias, MemRef<2>* c, int64_t act,
                    int64_t ta, int64_t tb) {
  try {
    cpu::sgemm_bias_act(a->aligned + a->offset, b->aligned + b->offset,
                        bias->aligned + bias->offset, c->aligned + c->offset, c->sizes[0],
                        ta ? a->sizes[0] : a->sizes[1], c->sizes[1], act, ta, tb);
  } catch (...) {
    record_failure();
  }
}

// Compiled code's memory (memref.alloc / dealloc): the host allocator, whose cache of large
// blocks gives each call warm memory. A header in front of the block keeps its size, which
// host_deallocate needs; it is 64 bytes, so the block stays 64-byte aligned.
constexpr size_t kHeader = 64;
void* compiled_alloc(size_t bytes) {
  auto* base = static_cast<char*>(rt::host_allocate(bytes + kHeader));
  if (!base) return nullptr;
  *reinterpret_cast<size_t*>(base) = bytes;
  return base + kHeader;
}
void compiled_free(void* ptr) {
  if (!ptr) return;
  char* base = static_cast<char*>(ptr) - kHeader;
  rt::host_deallocate(base, *reinterpret_cast<size_t*>(base) + kHeader);
}

// compiler/lowering/parallel_loops_to_calls.cpp: a parallel loop's outlined body over
// [0, iterations), split over the thread pool in chunks of at least `grain` iterations.
using LoopBody = void (*)(void* context, int64_t begin, int64_t end);
void parallel_for(LoopBody body, void* context, int64_t iterations, int64_t grain) {
  rt::parallel_for(iterations, grain,
                   [&](int64_t begin, int64_t end) { body(context, begin, end); });
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
  } catch (...) {
    record_failure();
  }
}

void print_end(const Text* text_after) {
  try {
    std::string line = std::exchange(print_line, {});
    line += text(text_after);
    detail::write_print_line(line);
  } catch (...) {
    record_failure();
  }
}

template <int... D>
void add_print_calls(std::vector<LibraryCall>& calls, std::integer_sequence<int, D...>) {
  // Symbol names as declared by the print lowering: tfjit_print_<dtype name>.
  static const std::string names[] = {"_mlir_ciface_tfjit_print_" +
                                      std::string(dtype_name(static_cast<DType>(D)))...};
  (calls.push_back({names[D].c_str(), reinterpret_cast<void*>(&print_tensor<D>)}), ...);
}

// tfjit.fail_if (compiler/lowering/effects_to_calls.cpp): bad input found at run time.
struct Flag {
  const bool* allocated;
  const bool* aligned;
  int64_t offset;
};
void fail_if(const Flag* failed, const Text* message) {
  if (!failed->aligned[failed->offset]) return;
  try {
    throw InvalidArgumentError(std::string(text(message)));
  } catch (...) {
    record_failure();
  }
}

}  // namespace

void raise_library_error() {
  if (library_error) std::rethrow_exception(std::exchange(library_error, nullptr));
}

std::vector<LibraryCall> library_calls() {
  std::vector<LibraryCall> calls = {
      {"_mlir_ciface_tfjit_sgemm", reinterpret_cast<void*>(&sgemm)},
      {"_mlir_ciface_tfjit_sgemm_batched", reinterpret_cast<void*>(&sgemm_batched)},
      {"_mlir_ciface_tfjit_sgemm_bias_act", reinterpret_cast<void*>(&sgemm_bias_act)},
      {"tfjit_parallel_for", reinterpret_cast<void*>(&parallel_for)},
      {"_mlir_memref_to_llvm_alloc", reinterpret_cast<void*>(&compiled_alloc)},
      {"_mlir_memref_to_llvm_free", reinterpret_cast<void*>(&compiled_free)},
      {"_mlir_ciface_tfjit_print_end", reinterpret_cast<void*>(&print_end)},
      {"_mlir_ciface_tfjit_fail_if", reinterpret_cast<void*>(&fail_if)}};
  // string and complex64 never reach compiled code; registering them is harmless.
  add_print_calls(calls, std::make_integer_sequence<int, kNumDTypes>{});
  return calls;
}

}  // namespace tf::compiler
