// The GPU's kernel table: host launchers for the kernels of kernels.cu (one per op, the dtype an
// argument) and cuBLAS GEMM; the structural primitives' families register their own (scan.cpp,
// scatter.cpp, reduce_window.cpp, random_bits.cpp, conv.cpp). Entries exist for the dtypes the GPU
// computes; the rest stay null and those ops run on the CPU (soft placement).
#include <algorithm>
#include <string>

#include "backends/cuda/cublas.h"
#include "backends/cuda/device.h"
#include "backends/cuda/kernel_launch.h"
#include "backends/cuda/launch_params.h"
#include "ops/scalar.h"
#include "runtime/gpu.h"
#include "runtime/kernels.h"
#include "runtime/primitives/sort.h"
#include "tfjit/errors.h"

namespace tf::cuda {

namespace {

using namespace core;  // the op tables' dtype sets
using namespace rt;
using ops::BinaryOp, ops::ReduceOp, ops::UnaryOp;

StridedPlan strided_plan(const ElementwisePlan& p, int operands, const char* op) {
  StridedPlan s{};
  if (p.dims.size() > static_cast<size_t>(kMaxRank))
    throw UnimplementedError(std::string(op) + " on GPU: " + std::to_string(p.dims.size()) +
                             " broadcast dimensions (at most " + std::to_string(kMaxRank) + ")");
  s.rank = static_cast<int32_t>(p.dims.size());
  for (size_t d = 0; d < p.dims.size(); ++d) {
    s.dims[d] = p.dims[d];
    for (int k = 0; k < operands; ++k) s.strides[k][d] = p.strides[k][d];
  }
  return s;
}

int64_t count(const ElementwisePlan& p) {
  int64_t n = 1;
  for (int64_t d : p.dims) n *= d;
  return n;
}

template <UnaryOp Op, DType D>
void unary(const void* x, void* out, int64_t n) {
  static const std::string name = std::string("tfjit_unary_") + op_info(Op).name;
  int dtype = static_cast<int>(D);
  void* args[] = {&dtype, &x, &out, &n};
  current().launch(name.c_str(), n, args);
}

// Whether operand k reads the output's elements in order, with no gaps (row-major strides).
bool dense_operand(const ElementwisePlan& p, int k) {
  int64_t expected = 1;
  for (size_t d = p.dims.size(); d-- > 0;) {
    if (p.dims[d] != 1 && p.strides[k][d] != expected) return false;
    expected *= p.dims[d];
  }
  return true;
}

// Whether operand k is a single element broadcast to the output.
bool scalar_operand(const ElementwisePlan& p, int k) {
  for (size_t d = 0; d < p.dims.size(); ++d)
    if (p.dims[d] != 1 && p.strides[k][d] != 0) return false;
  return true;
}

template <BinaryOp Op, DType D>
void binary(const void* x, const void* y, void* out, const ElementwisePlan& plan) {
  static const std::string name = std::string("tfjit_binary_") + op_info(Op).name;
  int dtype = static_cast<int>(D);
  int64_t n = count(plan);
  // Dense operands (rank 0), or a scalar and a dense operand, need no index arithmetic in the
  // kernel (launch_params.h).
  StridedPlan p{};
  if (!(dense_operand(plan, 0) && dense_operand(plan, 1))) {
    if (scalar_operand(plan, 0) && dense_operand(plan, 1))
      p.rank = 1, p.scalar_operand = 1;
    else if (scalar_operand(plan, 1) && dense_operand(plan, 0))
      p.rank = 1, p.scalar_operand = 2;
    else
      p = strided_plan(plan, 2, op_info(Op).name);
  }
  void* args[] = {&dtype, &x, &y, &out, &n, &p};
  current().launch(name.c_str(), n, args);
}

// How many blocks share each output of a reduction: one, unless a long axis reduces to few
// outputs (a full sum), which would leave most of the GPU idle; then enough for about 1024
// blocks in all, each taking at least 2048 elements.
int64_t reduction_chunks(int64_t outputs, int64_t reduced) {
  constexpr int64_t kBlocks = 1024, kMinPerBlock = 2048;
  if (outputs >= kBlocks / 2 || reduced < 2 * kMinPerBlock) return 1;
  return std::max<int64_t>(1, std::min(kBlocks / outputs, reduced / kMinPerBlock));
}

template <ReduceOp Op, DType D>
void reduce(const void* x, void* out, const ReducePlan& plan) {
  static const std::string name = std::string("tfjit_reduce_") + op_info(Op).name;
  static const std::string partials_name = std::string("tfjit_reduce_partials_") + op_info(Op).name;
  int64_t outputs = plan.outer * plan.inner;
  if (outputs == 0) return;
  if (outputs > 0x7fffffff)
    throw UnimplementedError(std::string(op_info(Op).name) + " on GPU: more than 2^31 outputs");
  int dtype = static_cast<int>(D);
  int64_t reduced = plan.reduced, inner = plan.inner;
  int64_t chunks = reduction_chunks(outputs, reduced);
  if (chunks == 1) {
    void* args[] = {&dtype, &x, &out, &reduced, &inner, &chunks};
    current().launch(name.c_str(), static_cast<unsigned>(outputs), 256, args);
    return;
  }
  Device& device = current();
  Scratch partials(device, static_cast<size_t>(outputs * chunks) * sizeof(double));  // >= Acc
  void* first[] = {&dtype, &x, &partials.ptr, &reduced, &inner, &chunks};
  device.launch(name.c_str(), static_cast<unsigned>(outputs * chunks), 256, first);
  void* second[] = {&dtype, &partials.ptr, &out, &chunks};
  device.launch(partials_name.c_str(), static_cast<unsigned>(outputs), 256, second);
}

template <DType D>
void arg_reduce(const void* x, int64_t* out, const ReducePlan& plan, bool is_max) {
  int64_t outputs = plan.outer * plan.inner;
  if (outputs == 0) return;
  if (outputs > 0x7fffffff) throw UnimplementedError("argmax on GPU: more than 2^31 outputs");
  int dtype = static_cast<int>(D), max = is_max;
  int64_t reduced = plan.reduced, inner = plan.inner;
  void* args[] = {&dtype, &x, &out, &reduced, &inner, &max};
  current().launch("tfjit_arg_reduce", static_cast<unsigned>(outputs), 256, args);
}

template <DType From, DType To>
void cast(const void* src, void* dst, int64_t n) {
  int from = static_cast<int>(From), to = static_cast<int>(To);
  void* args[] = {&from, &to, &src, &dst, &n};
  current().launch("tfjit_cast", n, args);
}

void strided_copy(const void* src, void* dst, size_t elem_size, const ElementwisePlan& plan) {
  if (elem_size > 8)
    throw UnimplementedError("strided copy on GPU: elements of " + std::to_string(elem_size) +
                             " bytes");
  int size = static_cast<int>(elem_size);
  int64_t n = count(plan);
  StridedPlan p = strided_plan(plan, 1, "strided copy");
  void* args[] = {&size, &src, &dst, &n, &p};
  current().launch("tfjit_strided_copy", n, args);
}

void select(const bool* cond, const void* x, const void* y, void* out, size_t elem_size,
            int64_t n) {
  int size = static_cast<int>(elem_size);
  void* args[] = {&size, &cond, &x, &y, &out, &n};
  current().launch("tfjit_select", n, args);
}

// One pitched device-to-device copy per input: its (outer, slab) rows land side by side.
void concat(const void* const* inputs, const int64_t* slab_bytes, size_t n, int64_t outer,
            void* out) {
  int64_t row = 0;
  for (size_t i = 0; i < n; ++i) row += slab_bytes[i];
  const Driver& d = *driver();
  Device& device = current();
  int64_t offset = 0;
  for (size_t i = 0; i < n; offset += slab_bytes[i], ++i) {
    if (slab_bytes[i] == 0) continue;
    auto what = [&] {
      return "concat on GPU (input " + std::to_string(i) + ": " + std::to_string(outer) +
             " rows of " + std::to_string(slab_bytes[i]) + " bytes)";
    };
    // One row, or rows wider than a pitched copy accepts: plain copies, row by row.
    if (outer == 1 || static_cast<size_t>(row) > device.max_pitch()) {
      for (int64_t r = 0; r < outer; ++r)
        check(d.MemcpyDtoDAsync(device_ptr(static_cast<const char*>(out) + r * row + offset),
                                device_ptr(static_cast<const char*>(inputs[i]) + r * slab_bytes[i]),
                                static_cast<size_t>(slab_bytes[i]), device.stream()),
              what());
      continue;
    }
    Memcpy2D copy{};
    copy.srcMemoryType = copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.srcDevice = device_ptr(inputs[i]);
    copy.srcPitch = static_cast<size_t>(slab_bytes[i]);
    copy.dstDevice = device_ptr(static_cast<const char*>(out) + offset);
    copy.dstPitch = static_cast<size_t>(row);
    copy.WidthInBytes = static_cast<size_t>(slab_bytes[i]);
    copy.Height = static_cast<size_t>(outer);
    check(d.Memcpy2DAsync(&copy, device.stream()), what());
  }
}

void gather(const void* params, const int64_t* indices, int64_t num_indices, void* out,
            int64_t outer, int64_t dim, size_t row_bytes) {
  int word = 8;  // the widest word that divides rows and both base addresses
  while (word > 1 && (row_bytes % word || reinterpret_cast<uintptr_t>(params) % word ||
                      reinterpret_cast<uintptr_t>(out) % word))
    word /= 2;
  int64_t row_words = static_cast<int64_t>(row_bytes) / word;
  int64_t n = outer * num_indices * row_words;
  void* args[] = {&word, &params, &indices, &num_indices, &out, &n, &dim, &row_words};
  current().launch("tfjit_gather", n, args);
}

template <DType D>
void take_along_axis(const void* x, const int32_t* indices, void* out, const TakeAlongAxisPlan& p) {
  int word = static_cast<int>(dtype_size(D));
  int64_t n = p.outer * p.m * p.inner, dim = p.n, m = p.m, inner = p.inner;
  void* args[] = {&word, &x, &indices, &out, &n, &dim, &m, &inner};
  current().launch("tfjit_take_along_axis", n, args);
}

template <DType D>
void matmul(const void* a, const void* b, void* c, int64_t batch, int64_t m, int64_t k, int64_t n,
            bool ta, bool tb) {
  gemm_batched(current().stream(), D, a, b, c, batch, m, k, n, ta, tb);
}

}  // namespace

void register_kernels(rt::KernelTable& table) {
#define TFJIT_UNARY(name, dtypes, ...)                             \
  for_gpu_dtypes([&](auto d) {                                     \
    if constexpr ((dtypes).contains(d()))                          \
        table.set(UnaryOp::name, d(), &unary<UnaryOp::name, d()>); \
  });
#define TFJIT_BINARY(name, dtypes, ...)                             \
  for_gpu_dtypes([&](auto d) {                                      \
    if constexpr ((dtypes).contains(d()))                           \
      table.set(BinaryOp::name, d(), &binary<BinaryOp::name, d()>); \
  });
#include "ops/elementwise_ops.def"
#define TFJIT_REDUCTION(name, dtypes, ...)                          \
  for_gpu_dtypes([&](auto d) {                                      \
    if constexpr ((dtypes).contains(d()))                           \
      table.set(ReduceOp::name, d(), &reduce<ReduceOp::name, d()>); \
  });
#include "ops/reduction_ops.def"
  for_gpu_dtypes([&](auto from) {
    for_gpu_dtypes(
        [&](auto to) { table.set(ops::Primitive::cast, from(), to(), &cast<from(), to()>); });
  });
  if (cublas_available()) {
    table.set(ops::Primitive::matmul, float32, &matmul<float32>);
    table.set(ops::Primitive::matmul, float64, &matmul<float64>);
  }
  if (cublas_has_half_gemm()) {
    table.set(ops::Primitive::matmul, float16, &matmul<float16>);
    table.set(ops::Primitive::matmul, bfloat16, &matmul<bfloat16>);
  }
  for_gpu_dtypes([&](auto d) {
    if constexpr (kNumeric.contains(d()))
      table.set(ops::Primitive::arg_reduce, d(), &arg_reduce<d()>);
  });
  table.set_for_every_dtype(ops::Primitive::strided_copy, &strided_copy);
  table.set_for_every_dtype(ops::Primitive::concat, &concat);
  table.set_for_every_dtype(ops::Primitive::gather, &gather);
  table.set_for_every_dtype(ops::Primitive::select, &select);
  for_gpu_dtypes(
      [&](auto d) { table.set(ops::Primitive::take_along_axis, d(), &take_along_axis<d()>); });
}
const bool registered = rt::register_kernels(rt::DeviceType::kGPU, &register_kernels);

}  // namespace tf::cuda
