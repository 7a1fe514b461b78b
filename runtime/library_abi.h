// The library-call ABI: every function compiled CPU code calls by name, and the codes it passes.
// The compiler emits these names (compiler/lowering/*); backends/cpu/library_calls.cpp defines
// them and registers their addresses here; the JIT binds them (compiler/executable.cpp). Each
// name and code is spelled once, here.
#pragma once

#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tf::rt::abi {

// GEMMs on MLIR's C interface (_mlir_ciface_ + name), float32 memrefs, i64 transpose flags:
//   sgemm(A: 2-D, B: 2-D, C: 2-D, ta, tb)            C = op(A) op(B)
//   sgemm_batched(A: 3-D, B: 3-D, C: 3-D, ta, tb)    C[i] = op(A[i]) op(B[i])
//   sgemm_bias_act(A, B, bias: 1-D, C, act, ta, tb)  C = act(op(A) op(B) + bias)
inline constexpr char kSgemm[] = "tfjit_sgemm";
inline constexpr char kSgemmBatched[] = "tfjit_sgemm_batched";
inline constexpr char kSgemmBiasAct[] = "tfjit_sgemm_bias_act";
// A batched GEMM that reads its operands where they lie (a transposed or head-split operand is a
// layout, not a copy): sgemm_strided(A, B, C: unranked contiguous float32 memrefs, layout:
// memref<?xi64>) with layout [q, batch sizes[q], m, n, k, A's strides[q + 2], B's, C's], each
// operand's strides (in elements) for the q batch dims, then its two matrix dims (A: m, k; B:
// k, n; C: m, n).
inline constexpr char kSgemmStrided[] = "tfjit_sgemm_strided";
inline constexpr size_t kSgemmStridedMaxBatchDims = 4;  // q at most
// sgemm_bias_act's `act` argument (none to sigmoid), and conv_fused's (all).
enum class Epilogue : int64_t {
  kNone = 0,
  kRelu = 1,
  kTanh = 2,
  kSigmoid = 3,
  kRelu6 = 4,
  kElu = 5,
  kGelu = 6,
  kGeluTanh = 7,
  kSilu = 8,
};

// Convolutions (runtime/primitives/conv.h) on float32 tensors of equal rank R = spatial + 2,
// passed unranked: conv(a, b, out, attributes: memref<?xi64>) with attributes
// [kind, groups, strides[R - 2], dilations[R - 2], padding_low[R - 2], padding_high[R - 2]]; a, b
// and out are the kind's operands and result in rt::ConvKind's order.
inline constexpr char kConv[] = "tfjit_conv";
// A forward convolution with its epilogue (tfjit.fused_conv): conv_fused(a, b, bias, residual,
// out, attributes) computes out = act(conv(a, b) + bias + residual), with conv's attributes
// followed by [act (an Epilogue), has_bias, has_residual]; an absent bias or residual is passed
// as some other operand and not read.
inline constexpr char kConvFused[] = "tfjit_conv_fused";
// The convolution kinds (runtime/primitives/conv.h), as conv's first attribute.
enum class ConvKind : int64_t { kForward = 0, kBackpropInput = 1, kBackpropFilter = 2 };

// tfjit.argsort on the CPU: argsort_<dtype name>(x: unranked memref, out: unranked memref of
// i32, axis, descending), contiguous operands (runtime/primitives/sort.h).
inline constexpr char kArgsortPrefix[] = "tfjit_argsort_";

// tfjit.scatter on the CPU: scatter_<dtype name>(operand, indices, updates, out: unranked
// memrefs, combiner, index_bits), contiguous (runtime/primitives/scatter.h); combiner is -1 for
// "update", else an ops::ReduceOp; index_bits 32 or 64.
inline constexpr char kScatterPrefix[] = "tfjit_scatter_";

// tfjit.select_and_scatter on the CPU: select_and_scatter_<dtype name>(x, y, g, out: unranked
// memrefs, attributes: memref<?xi64> [window[R], strides[R], padding_low[R]]), contiguous.
inline constexpr char kSelectAndScatterPrefix[] = "tfjit_select_and_scatter_";

// tfjit.all_reduce on the CPU, in two calls so that work runs while the ranks communicate:
// all_reduce_start_<dtype name>(x, out: unranked memrefs, reduce_op, group) copies x and queues
// the reduction on the communicator registered as `group` (runtime/collectives.h);
// all_reduce_wait_<dtype name>(out) blocks until it is done and writes the result into out.
inline constexpr char kAllReduceStartPrefix[] = "tfjit_all_reduce_start_";
inline constexpr char kAllReduceWaitPrefix[] = "tfjit_all_reduce_wait_";

// A parallel loop's outlined body, run over [0, iterations) on the thread pool in chunks of at
// least `grain` iterations: parallel_for(body(context, begin, end), context, iterations, grain).
// Plain C symbol (not _mlir_ciface_).
inline constexpr char kParallelFor[] = "tfjit_parallel_for";
using LoopBody = void (*)(void* context, int64_t begin, int64_t end);
// Work (elements) one thread takes at least, shared by eager kernels and compiled loops.
inline constexpr int64_t kParallelGrain = int64_t{1} << 16;

// tf::print: print_<dtype name>(unranked memref, text before) per tensor, then
// print_end(text after); texts are NUL-terminated memref<?xi8>.
inline constexpr char kPrintPrefix[] = "tfjit_print_";
inline constexpr char kPrintEnd[] = "tfjit_print_end";
// tfjit.fail_if: fail_if(memref<i1> failed, memref<?xi8> message) raises InvalidArgumentError.
inline constexpr char kFailIf[] = "tfjit_fail_if";

struct LibraryCall {
  std::string symbol;  // as the JIT sees it (with _mlir_ciface_ where the C interface is used)
  void* address;
};
// Called at load time by the backend that defines the calls.
bool register_library_calls(std::vector<LibraryCall> calls);
// Every registered call: what the JIT binds.
std::vector<LibraryCall> library_calls();

// Compiled code cannot unwind C++ exceptions: a library call records its failure (the current
// exception; the first one wins) and the compiled function's caller raises it when it returns.
void record_failure();
// Rethrows the first failure recorded on this thread since the last call, and forgets it.
void raise_recorded_failure();

// A compiled call in progress on this thread (Executable::run), for allocation failures:
// compiled code would write through the null pointer a failed allocation returns, so the
// allocator records ResourceExhaustedError and longjmps to `exit` instead, and the caller frees
// `live` (what the call had allocated and not freed) and raises it. Only JIT frames, which hold
// no C++ objects, lie between; inside a parallel loop's body (rt::parallel_for's frames) no
// call is current and a failure ends the process with a message.
struct CompiledCall {
  // The blocks the call holds: the first few inline, so the call path does not allocate.
  class Live {
   public:
    void add(void* p) {  // may throw std::bad_alloc past the inline entries
      if (n_ < kInline)
        inline_[n_++] = p;
      else
        more_.push_back(p);
    }
    void remove(void* p) {  // freed blocks are usually the latest ones: search from the back
      for (size_t i = more_.size(); i-- > 0;)
        if (more_[i] == p) {
          more_.erase(more_.begin() + static_cast<std::ptrdiff_t>(i));
          return;
        }
      for (size_t i = n_; i-- > 0;)
        if (inline_[i] == p) {
          inline_[i] = inline_[--n_];
          return;
        }
    }
    template <class F>
    void for_each(F f) const {
      for (size_t i = 0; i < n_; ++i) f(inline_[i]);
      for (void* p : more_) f(p);
    }

   private:
    static constexpr size_t kInline = 16;
    void* inline_[kInline];
    size_t n_ = 0;
    std::vector<void*> more_;
  };
  std::jmp_buf exit;
  Live live;
  void (*release)(void*) = nullptr;  // frees an entry of `live`
};
// The call current on this thread (null if none); `set_current_call` returns the previous one.
CompiledCall* current_call();
CompiledCall* set_current_call(CompiledCall* call);

}  // namespace tf::rt::abi
