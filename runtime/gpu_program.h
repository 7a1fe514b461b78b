// A compiled function for the GPU as the compiler hands it to the runtime (IREE's split: the
// compiler decides everything, the runtime only replays): a kernel image and the steps one call
// runs, every size and launch shape fixed at compile time. Plain data, so it serialises into
// the disk cache; built by compiler/gpu_launch_plan.cpp, run by backends/cuda/program.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/library_abi.h"
#include "tfjit/dtype.h"

namespace tf::rt::gpu {

// Memory a program touches. Buffers 0..num_arguments-1 are the call's arguments, the next
// num_results its results; then temporaries (allocated per call, or once for graph replay) and
// constants (uploaded once, `data` holds their bytes).
struct ProgramBuffer {
  enum class Kind : uint8_t { kArgument, kResult, kTemporary, kConstant };
  Kind kind = Kind::kTemporary;
  int64_t bytes = 0;
  std::string data;
};

// An address inside a buffer.
struct BufferRef {
  int32_t buffer = 0;
  int64_t byte_offset = 0;
};

// One kernel parameter, passed to cuLaunchKernel as an 8-byte slot: a device address, or the
// bits of a scalar (little-endian, so a 4-byte PTX parameter reads the low half).
struct KernelParam {
  enum class Kind : uint8_t { kAddress, kInteger, kFloat32, kFloat64 };
  Kind kind = Kind::kInteger;
  BufferRef address;   // kAddress
  uint64_t value = 0;  // the scalar's bits
};

struct Launch {
  std::string kernel;  // entry point in the image
  std::array<uint32_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  std::vector<KernelParam> params;
};

// Row-major, contiguous C[batch][m][n] = op(A[batch]) * op(B[batch]), through cuBLAS, op
// transposing where the flag is set: A is (m, k), or (k, m) transposed; B is (k, n) or (n, k).
struct Gemm {
  DType dtype = DType::float32;
  BufferRef a, b, c;
  int64_t batch = 1, m = 0, n = 0, k = 0;
  bool transpose_a = false, transpose_b = false;
};

// A convolution or one of its gradients through cuDNN, as the GPU's eager kernel computes it
// (runtime/primitives/conv.h: the kind's operands a, b and result out, contiguous, in its
// layouts; one stride, dilation and padding per spatial dim).
struct Conv {
  DType dtype = DType::float32;
  abi::ConvKind kind = abi::ConvKind::kForward;
  BufferRef a, b, out;
  std::vector<int64_t> input, filter, output;          // shapes
  std::vector<int64_t> strides, dilations, low, high;  // one per spatial dim
  int64_t groups = 1;
  // A fused convolution's epilogue (kForward, float32): out = activation(conv + bias + residual),
  // the bias one value per output channel, the residual the output's shape; ReLU or no
  // activation, which cuDNN applies in the convolution's call.
  std::optional<BufferRef> bias, residual;
  abi::Epilogue activation = abi::Epilogue::kNone;
  bool has_epilogue() const { return bias || residual || activation != abi::Epilogue::kNone; }
};

// tfjit.scatter through the GPU's eager kernel (runtime/primitives/scatter.h: the plan's
// fields, contiguous operands), linear in the update rows where generated kernels would visit
// every element for every row.
inline constexpr size_t kMaxScatterDims = 8;  // the GPU kernels' kMaxRank
struct Scatter {
  DType dtype = DType::float32;
  BufferRef operand, indices, updates, out;
  std::vector<int64_t> dims;  // the dims index tuples address, at most kMaxScatterDims
  int64_t rows = 0, slice = 1;
  bool indices64 = false;
  int32_t combiner = -1;  // an ops::ReduceOp, or -1: "update" (the last row wins)
};

struct Copy {
  BufferRef source, destination;
  int64_t bytes = 0;
};

// Host control flow (tf::cond, tf::while_loop). Steps run in order, except that a Branch goes
// to step `if_true` when the byte at `flag` is not 0 (the runtime reads it, waiting for the GPU)
// and to `if_false` otherwise, and a Jump goes to `target` (steps.size(): the end).
struct Branch {
  BufferRef flag;
  int32_t if_true = 0, if_false = 0;
};
struct Jump {
  int32_t target = 0;
};

// tf::print: each input's elements (a strided view: `strides` in elements from `data`) copied to
// the host, waiting for the GPU, then printed between the texts (one more than the inputs) by
// the print handler of runtime/print.h, as the CPU's library call prints them.
struct PrintInput {
  BufferRef data;
  DType dtype = DType::float32;
  std::vector<int64_t> shape, strides;
};
struct Print {
  std::vector<PrintInput> inputs;
  std::vector<std::string> texts;
};

// Bad input found while the program runs (tfjit.fail_if): if the byte at `flag` is not 0, the
// call raises InvalidArgumentError(message). Read once the program's steps are done (also after
// a CUDA Graph replay), or, in a program with control flow, when the step is reached (a check in
// a branch not taken is not read; one in a loop is read at every iteration).
struct Check {
  BufferRef flag;
  std::string message;
};

using Step = std::variant<Launch, Gemm, Copy, Branch, Jump, Print, Check, Conv, Scatter>;

struct Program {
  std::string arch;   // "sm_90": the target the PTX was generated for
  std::string image;  // PTX text, or the driver's binary (cubin) once assembled
  bool image_is_binary = false;
  int num_arguments = 0, num_results = 0;
  std::vector<ProgramBuffer> buffers;
  std::vector<Step> steps;

  bool has_control_flow() const;  // Branch steps: the program cannot be one CUDA Graph
  std::string serialize() const;
  // InvalidArgumentError when `bytes` is not a serialised program (a corrupt cache entry).
  static Program deserialize(std::string_view bytes);
  // One line per buffer and step, for tfjit-dump and tests.
  std::string describe() const;
  int64_t temporary_bytes() const;  // every temporary, each 256-byte aligned
};

}  // namespace tf::rt::gpu
