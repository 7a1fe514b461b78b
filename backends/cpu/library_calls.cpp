// The functions compiled CPU code calls by name (runtime/library_abi.h), registered for the JIT
// when the library loads.
#include <algorithm>
#include <bit>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/conv_fused.h"
#include "backends/cpu/matmul_fused.h"
#include "backends/cpu/matmul_strided.h"
#include "runtime/allocator.h"
#include "runtime/kernels.h"
#include "runtime/library_abi.h"
#include "runtime/parallel.h"
#include "runtime/primitives/conv.h"
#include "runtime/primitives/reduce_window.h"
#include "runtime/primitives/scatter.h"
#include "runtime/primitives/sort.h"
#include "runtime/print.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {
using rt::abi::record_failure;

// Functions called through MLIR's C interface carry its prefix.
std::string ciface(const std::string& name) { return "_mlir_ciface_" + name; }

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
    sgemm(a, b, c, m, k, n, ta, tb);
  } catch (...) {
    record_failure();
  }
}

// Operands are contiguous (the pass only rewrites identity layouts). C is (m, n); A is (m, k), or
// (k, m) when transposed.
void sgemm_call(MemRef<2>* a, MemRef<2>* b, MemRef<2>* c, int64_t ta, int64_t tb) {
  gemm(a->aligned + a->offset, b->aligned + b->offset, c->aligned + c->offset, c->sizes[0],
       ta ? a->sizes[0] : a->sizes[1], c->sizes[1], ta, tb);
}

void sgemm_batched_call(MemRef<3>* a, MemRef<3>* b, MemRef<3>* c, int64_t ta, int64_t tb) {
  try {
    sgemm_batched(a->aligned + a->offset, b->aligned + b->offset, c->aligned + c->offset,
                  c->sizes[0], c->sizes[1], ta ? a->sizes[1] : a->sizes[2], c->sizes[2], ta, tb);
  } catch (...) {
    record_failure();
  }
}

// C = act(op(A) * op(B) + bias) (compiler/lowering/fuse_matmul_epilogue.cpp); contiguous
// operands, op transposing where the flag is set.
void sgemm_bias_act_call(MemRef<2>* a, MemRef<2>* b, MemRef<1>* bias, MemRef<2>* c, int64_t act,
                         int64_t ta, int64_t tb) {
  try {
    sgemm_bias_act(a->aligned + a->offset, b->aligned + b->offset, bias->aligned + bias->offset,
                   c->aligned + c->offset, c->sizes[0], ta ? a->sizes[0] : a->sizes[1], c->sizes[1],
                   act, ta, tb);
  } catch (...) {
    record_failure();
  }
}

// The line a compiled tf::print is building on this thread: one call per tensor, then end.
struct PrintLine {
  std::vector<std::string> texts;
  std::vector<rt::PrintedTensor> tensors;
};
thread_local PrintLine print_line;

// Compiled code's memory (memref.alloc / dealloc): the host allocator, whose cache of large
// blocks gives each call warm memory. A header in front of the block keeps its size, which
// host_deallocate needs; it is 64 bytes, so the block stays 64-byte aligned.
constexpr size_t kHeader = 64;
void compiled_free(void* ptr) {
  if (!ptr) return;
  if (auto* call = rt::abi::current_call()) call->live.remove(ptr);
  char* base = static_cast<char*>(ptr) - kHeader;
  rt::host_deallocate(base, *reinterpret_cast<size_t*>(base) + kHeader);
}
void release(void* ptr) {
  char* base = static_cast<char*>(ptr) - kHeader;
  rt::host_deallocate(base, *reinterpret_cast<size_t*>(base) + kHeader);
}
// A failed allocation never returns (see rt::abi::CompiledCall).
[[noreturn]] void allocation_failed(size_t bytes) {
  rt::abi::CompiledCall* call = rt::abi::current_call();
  if (!call) {  // unreachable: loops whose body allocates run on the caller's thread
    std::fprintf(stderr,
                 "tfjit: out of memory allocating %zu bytes inside a parallel compiled loop\n",
                 bytes);
    std::abort();
  }
  try {
    print_line = {};  // a tf::print whose end the jump skips
    throw ResourceExhaustedError("out of memory allocating " + std::to_string(bytes) +
                                 " bytes for an intermediate of a compiled function");
  } catch (...) {
    rt::abi::record_failure();
  }
  std::longjmp(call->exit, 1);  // only JIT frames lie between: nothing to destroy
}
void* compiled_alloc(size_t bytes) {
  char* base =
      bytes > (size_t{1} << 62) ? nullptr : static_cast<char*>(rt::host_allocate(bytes + kHeader));
  if (!base) allocation_failed(bytes);
  *reinterpret_cast<size_t*>(base) = bytes;
  if (auto* call = rt::abi::current_call()) {
    call->release = &release;
    try {
      call->live.add(base + kHeader);
    } catch (...) {  // no exception may reach the JIT frames
      release(base + kHeader);
      allocation_failed(bytes);
    }
  }
  return base + kHeader;
}

// compiler/lowering/parallel_loops_to_calls.cpp: a parallel loop's outlined body.
void parallel_for(rt::abi::LoopBody body, void* context, int64_t iterations, int64_t grain) {
  // No jump may cross the thread pool's frames (see compiled_alloc).
  rt::abi::CompiledCall* call = rt::abi::set_current_call(nullptr);
  rt::parallel_for(iterations, grain,
                   [&](int64_t begin, int64_t end) { body(context, begin, end); });
  rt::abi::set_current_call(call);
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

// Copies the span of memory the (possibly strided) memref covers, for the print handler.
template <int D>
void print_tensor(UnrankedMemRef* m, const Text* text_before) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    auto* d = static_cast<int64_t*>(m->descriptor);
    const char* base = reinterpret_cast<const char*>(d[1]);
    rt::PrintedTensor t{dtype,
                        std::vector<int64_t>(d + 3, d + 3 + m->rank),
                        std::vector<int64_t>(d + 3 + m->rank, d + 3 + 2 * m->rank),
                        {}};
    int64_t last = 0;  // the furthest element any index reaches (strides are non-negative)
    bool empty = false;
    for (size_t k = 0; k < t.shape.size(); ++k) {
      empty |= t.shape[k] == 0;
      last += (t.shape[k] - 1) * t.strides[k];
    }
    const auto size = static_cast<int64_t>(dtype_size(dtype));
    if (!empty) t.bytes.assign(base + d[2] * size, static_cast<size_t>((last + 1) * size));
    print_line.texts.emplace_back(text(text_before));
    print_line.tensors.push_back(std::move(t));
  } catch (...) {
    record_failure();
  }
}

void print_end(const Text* text_after) {
  try {
    PrintLine line = std::exchange(print_line, {});
    line.texts.emplace_back(text(text_after));
    if (auto handler = rt::print_handler()) handler(line.texts, line.tensors);
  } catch (...) {
    record_failure();
  }
}

// The CPU kernel of primitive `op` for `dtype` (InternalError if none: the dialect's verifiers
// refuse such graphs).
template <class Kernel>
Kernel cpu_kernel(ops::Primitive op, const char* name, DType dtype) {
  Kernel k = rt::kernels(rt::DeviceType::kCPU).get<Kernel>(op, dtype);
  if (!k)
    throw InternalError(std::string("compiled code called the ") + name + " kernel for " +
                        std::string(dtype_name(dtype)) + ", which has none");
  return k;
}

// A library call's i64 attribute list (conv's, sgemm_strided's layout), as runtime/library_abi.h
// lists them; their float32 operands come as unranked memrefs.
struct Attributes {
  const int64_t* allocated;
  const int64_t* aligned;
  int64_t offset, size, stride;
};
// A float32 memref's dims and its first element (descriptor: allocated, aligned, offset, dims).
std::vector<int64_t> shape(const UnrankedMemRef* m) {
  auto* d = static_cast<int64_t*>(m->descriptor);
  return std::vector<int64_t>(d + 3, d + 3 + m->rank);
}
float* data(const UnrankedMemRef* m) {
  auto* d = static_cast<float* const*>(m->descriptor);
  return d[1] + static_cast<int64_t*>(m->descriptor)[2];
}
// The first element of a memref of `itemsize`-byte elements.
char* element_bytes(const UnrankedMemRef* m, int64_t itemsize) {
  auto* d = static_cast<int64_t*>(m->descriptor);
  return reinterpret_cast<char*>(d[1]) + d[2] * itemsize;
}

// The layout runtime/library_abi.h gives sgemm_strided; each operand's furthest element must lie
// inside its buffer (a wrong layout would read or write past it).
void sgemm_strided_call(UnrankedMemRef* a, UnrankedMemRef* b, UnrankedMemRef* c,
                        const Attributes* layout) {
  try {
    const int64_t* v = layout->aligned + layout->offset;
    const int64_t q = layout->size > 0 ? v[0] : -1;
    if (q < 0 || q > int64_t(StridedGemm::kMaxBatchDims) || layout->size != 4 + q + 3 * (q + 2))
      throw InternalError("strided matmul: malformed layout of " + std::to_string(layout->size) +
                          " values");
    StridedGemm g{{v + 1, v + 1 + q}, v[q + 1], v[q + 2], v[q + 3], {}, {}, {}};
    const int64_t* strides = v + q + 4;
    for (auto* s : {&g.a, &g.b, &g.c}) {
      s->assign(strides, strides + q + 2);
      strides += q + 2;
    }
    auto check = [&](const UnrankedMemRef* m, const std::vector<int64_t>& s, int64_t rows,
                     int64_t cols, const char* name) {
      int64_t elements = 1, last = 0;
      for (int64_t d : shape(m)) elements *= d;
      std::vector<int64_t> dims = g.batch;
      dims.insert(dims.end(), {rows, cols});
      for (size_t d = 0; d < dims.size(); ++d) {
        if (dims[d] == 0) return;
        last += (dims[d] - 1) * s[d];
      }
      if (last >= elements)
        throw InternalError(std::string("strided matmul: ") + name + "'s layout reaches element " +
                            std::to_string(last) + " of " + std::to_string(elements));
    };
    check(a, g.a, g.m, g.k, "A");
    check(b, g.b, g.k, g.n, "B");
    check(c, g.c, g.m, g.n, "C");
    sgemm_strided(data(a), data(b), data(c), g);
  } catch (...) {
    record_failure();
  }
}

void conv_call(UnrankedMemRef* a, UnrankedMemRef* b, UnrankedMemRef* out, const Attributes* attrs) {
  try {
    const int64_t* v = attrs->aligned + attrs->offset;
    const auto spatial = static_cast<size_t>(out->rank - 2);
    auto list = [&](size_t i) {
      return std::vector<int64_t>(v + 2 + i * spatial, v + 2 + (i + 1) * spatial);
    };
    rt::ConvPlan plan{
        static_cast<rt::ConvKind>(v[0]), {}, {}, {}, list(0), list(1), list(2), list(3), v[1], {}};
    switch (plan.kind) {
      case rt::ConvKind::kForward:
        plan.input = shape(a), plan.filter = shape(b), plan.output = shape(out);
        break;
      case rt::ConvKind::kBackpropInput:
        plan.filter = shape(a), plan.output = shape(b), plan.input = shape(out);
        break;
      case rt::ConvKind::kBackpropFilter:
        plan.input = shape(a), plan.output = shape(b), plan.filter = shape(out);
        break;
    }
    cpu_kernel<rt::ConvKernel>(ops::Primitive::conv, "conv", float32)(data(a), data(b), data(out),
                                                                      plan);
  } catch (...) {
    record_failure();
  }
}

// tfjit.fused_conv (compiler/lowering/to_linalg/conv.cpp): conv's operands with the bias and the
// residual after the filter, conv's attributes followed by [act, has_bias, has_residual].
void conv_fused_call(UnrankedMemRef* x, UnrankedMemRef* w, UnrankedMemRef* bias,
                     UnrankedMemRef* residual, UnrankedMemRef* out, const Attributes* attrs) {
  try {
    const int64_t* v = attrs->aligned + attrs->offset;
    const auto spatial = static_cast<size_t>(out->rank - 2);
    auto list = [&](size_t i) {
      return std::vector<int64_t>(v + 2 + i * spatial, v + 2 + (i + 1) * spatial);
    };
    const int64_t* epilogue = v + 2 + 4 * spatial;
    rt::ConvPlan plan{rt::ConvKind::kForward,
                      shape(x),
                      shape(w),
                      shape(out),
                      list(0),
                      list(1),
                      list(2),
                      list(3),
                      v[1],
                      {}};
    conv_bias_act(data(x), data(w), epilogue[1] ? data(bias) : nullptr,
                  epilogue[2] ? data(residual) : nullptr, data(out), plan, epilogue[0]);
  } catch (...) {
    record_failure();
  }
}

// tfjit.argsort (compiler/lowering/to_linalg/sort.cpp): contiguous operands, the same kernel as
// eager calls.
template <int D>
void argsort_call(UnrankedMemRef* x, UnrankedMemRef* out, int64_t axis, int64_t descending) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    auto* d = static_cast<int64_t*>(x->descriptor);
    rt::ArgsortPlan plan{1, d[3 + axis], 1, descending != 0};
    for (int64_t k = 0; k < x->rank; ++k)
      if (k < axis)
        plan.outer *= d[3 + k];
      else if (k > axis)
        plan.inner *= d[3 + k];
    const char* base =
        reinterpret_cast<const char*>(d[1]) + d[2] * static_cast<int64_t>(dtype_size(dtype));
    auto* o = static_cast<int64_t*>(out->descriptor);
    auto* indices = reinterpret_cast<int32_t*>(o[1]) + o[2];
    if (plan.outer * plan.n * plan.inner > 0)
      cpu_kernel<rt::ArgsortKernel>(ops::Primitive::argsort, "argsort", dtype)(base, indices, plan);
  } catch (...) {
    record_failure();
  }
}

// tfjit.select_and_scatter (compiler/lowering/to_linalg/reduce_window.cpp): contiguous
// operands, the eager kernel.
template <int D>
void select_and_scatter_call(UnrankedMemRef* x, UnrankedMemRef* y, UnrankedMemRef* g,
                             UnrankedMemRef* out, const Attributes* attrs) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    const auto itemsize = static_cast<int64_t>(dtype_size(dtype));
    auto bytes = [&](const UnrankedMemRef* m) { return element_bytes(m, itemsize); };
    const auto r = static_cast<size_t>(x->rank);
    const int64_t* v = attrs->aligned + attrs->offset;
    auto list = [&](size_t i) { return std::vector<int64_t>(v + i * r, v + (i + 1) * r); };
    rt::ReduceWindowPlan plan{shape(x),
                              shape(g),
                              list(0),
                              list(1),
                              std::vector<int64_t>(r, 1),
                              list(2),
                              ops::ReduceOp::reduce_max};
    cpu_kernel<rt::SelectAndScatterKernel>(ops::Primitive::select_and_scatter, "select_and_scatter",
                                           dtype)(bytes(x), bytes(y), bytes(g), bytes(out), plan);
  } catch (...) {
    record_failure();
  }
}

// tfjit.scatter (compiler/lowering/to_linalg/scatter.cpp): contiguous operands, the eager
// kernel (which copies the operand into out first).
template <int D>
void scatter_call(UnrankedMemRef* operand, UnrankedMemRef* indices, UnrankedMemRef* updates,
                  UnrankedMemRef* out, int64_t combiner, int64_t index_bits) {
  try {
    constexpr DType dtype = static_cast<DType>(D);
    auto* o = static_cast<int64_t*>(operand->descriptor);
    auto* i = static_cast<int64_t*>(indices->descriptor);
    const auto itemsize = static_cast<int64_t>(dtype_size(dtype));
    const int64_t depth = i[3 + indices->rank - 1];
    rt::ScatterPlan plan{1, std::vector<int64_t>(o + 3, o + 3 + depth), 1, index_bits == 64,
                         std::nullopt};
    for (int64_t k = 0; k + 1 < indices->rank; ++k) plan.rows *= i[3 + k];
    for (int64_t k = depth; k < operand->rank; ++k) plan.slice *= o[3 + k];
    if (combiner >= 0) plan.combiner = static_cast<ops::ReduceOp>(combiner);
    cpu_kernel<rt::ScatterKernel>(ops::Primitive::scatter, "scatter", dtype)(
        element_bytes(operand, itemsize), element_bytes(indices, index_bits / 8),
        element_bytes(updates, itemsize), element_bytes(out, itemsize), plan);
  } catch (...) {
    record_failure();
  }
}

// tfjit.fail_if (compiler/lowering/to_linalg/effects.cpp): bad input found at run time.
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

// The calls with one symbol per dtype (name prefix + dtype name), for every dtype: those compiled
// code never makes (string, complex64, or no kernel) are harmless, and a call finds its kernel in
// the registry, so the dtypes each family takes are stated once, where it registers.
template <int... D>
void add_per_dtype_calls(std::vector<rt::abi::LibraryCall>& calls,
                         std::integer_sequence<int, D...>) {
  auto add = [&](auto d) {
    constexpr int k = decltype(d)::value;
    const std::string name(dtype_name(static_cast<DType>(k)));
    calls.push_back(
        {ciface(rt::abi::kPrintPrefix + name), reinterpret_cast<void*>(&print_tensor<k>)});
    calls.push_back(
        {ciface(rt::abi::kArgsortPrefix + name), reinterpret_cast<void*>(&argsort_call<k>)});
    calls.push_back({ciface(rt::abi::kSelectAndScatterPrefix + name),
                     reinterpret_cast<void*>(&select_and_scatter_call<k>)});
    calls.push_back(
        {ciface(rt::abi::kScatterPrefix + name), reinterpret_cast<void*>(&scatter_call<k>)});
  };
  (add(std::integral_constant<int, D>{}), ...);
}

// LLVM's x86 backend narrows to bfloat16 through these libcalls on CPUs without bfloat16
// instructions (AVX2 machines), and Debian 12's libgcc (GCC 12) defines neither. A bfloat16
// travels in an SSE register as a _Float16 does: each returns one holding the bfloat16's bits,
// rounded as the eager cast rounds (a double through float, as LLVM does with the instructions).
_Float16 truncsfbf2(float x) { return std::bit_cast<_Float16>(bfloat16_t(x).bits); }
_Float16 truncdfbf2(double x) { return truncsfbf2(static_cast<float>(x)); }

std::vector<rt::abi::LibraryCall> all_calls() {
  std::vector<rt::abi::LibraryCall> calls = {
      {ciface(rt::abi::kSgemm), reinterpret_cast<void*>(&sgemm_call)},
      {ciface(rt::abi::kSgemmBatched), reinterpret_cast<void*>(&sgemm_batched_call)},
      {ciface(rt::abi::kSgemmBiasAct), reinterpret_cast<void*>(&sgemm_bias_act_call)},
      {ciface(rt::abi::kSgemmStrided), reinterpret_cast<void*>(&sgemm_strided_call)},
      {ciface(rt::abi::kConv), reinterpret_cast<void*>(&conv_call)},
      {ciface(rt::abi::kConvFused), reinterpret_cast<void*>(&conv_fused_call)},
      {rt::abi::kParallelFor, reinterpret_cast<void*>(&parallel_for)},
      {"_mlir_memref_to_llvm_alloc", reinterpret_cast<void*>(&compiled_alloc)},
      {"_mlir_memref_to_llvm_free", reinterpret_cast<void*>(&compiled_free)},
      {ciface(rt::abi::kPrintEnd), reinterpret_cast<void*>(&print_end)},
      {ciface(rt::abi::kFailIf), reinterpret_cast<void*>(&fail_if)},
      {"__truncsfbf2", reinterpret_cast<void*>(&truncsfbf2)},
      {"__truncdfbf2", reinterpret_cast<void*>(&truncdfbf2)}};
  // string and complex64 never reach compiled code; registering them is harmless.
  add_per_dtype_calls(calls, std::make_integer_sequence<int, kNumDTypes>{});
  return calls;
}
const bool registered = rt::abi::register_library_calls(all_calls());

}  // namespace

}  // namespace tf::cpu
