// The eager kernel registry: (op id, device, dtype) -> kernel. Backends fill one KernelTable per
// device type (without a GPU backend the GPU table stays empty and every op runs on the CPU).
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype_sets.h"
#include "core/shape_rules.h"
#include "ops/op_info.h"
#include "runtime/buffer.h"

namespace tf::rt {

// Reduction of a (outer, reduced, inner) view of a contiguous tensor to (outer, inner).
struct ReducePlan {
  int64_t outer, reduced, inner;
};

using UnaryKernel = void (*)(const void* x, void* out, int64_t n);
using BinaryKernel = void (*)(const void* x, const void* y, void* out,
                              const core::ElementwisePlan& plan);
// C[i] (m x n) = op(A[i]) op(B[i]) for i < batch, op transposing when ta / tb: A[i] is stored
// (m, k), or (k, m) if ta; B[i] is stored (k, n), or (n, k) if tb. All row-major and dense, the
// batch outermost. One call for the whole batch, so that a backend spreads small products over
// its threads or streams (a loop of calls ran each 128 x 64 x 128 product on one thread).
using MatmulKernel = void (*)(const void* a, const void* b, void* c, int64_t batch, int64_t m,
                              int64_t k, int64_t n, bool ta, bool tb);
using ReduceKernel = void (*)(const void* x, void* out, const ReducePlan& plan);
// Copies src, read through plan.strides[0] (0 where broadcast, permuted for a transpose),
// densely into dst of shape plan.dims.
using StridedCopyKernel = void (*)(const void* src, void* dst, size_t elem_size,
                                   const core::ElementwisePlan& plan);
// out[i] = cond[i] ? x[i] : y[i] over n elements of `elem_size` bytes (operands dense, equal
// shape).
using SelectKernel = void (*)(const bool* cond, const void* x, const void* y, void* out,
                              size_t elem_size, int64_t n);
// Concatenation of n inputs, each seen as (outer, slab_bytes[i]) bytes, into (outer, sum).
using ConcatKernel = void (*)(const void* const* inputs, const int64_t* slab_bytes, size_t n,
                              int64_t outer, void* out);
// Gathers rows: params seen as (outer, dim, row_bytes) bytes, out as (outer, num_indices,
// row_bytes), out[o, j] = params[o, indices[j]]. Indices are int64 on the kernel's device and
// already checked to lie in [0, dim).
using GatherKernel = void (*)(const void* params, const int64_t* indices, int64_t num_indices,
                              void* out, int64_t outer, int64_t dim, size_t row_bytes);
// argmax (is_max) or argmin over the reduced axis of an (outer, reduced, inner) view, writing
// int64 indices; the first extreme wins, and NaN counts as the extreme.
using ArgReduceKernel = void (*)(const void* x, int64_t* out, const ReducePlan& plan, bool is_max);
// Converts n elements; float -> integer saturates and maps NaN to 0 (defined, unlike C++).
using CastKernel = void (*)(const void* src, void* dst, int64_t n);

// One device's kernels, indexed by op id and dtype (and, for cast, the target dtype). Each op's
// kernels share the signature its family declares (the aliases above for the table ops and the
// primitives of ops/primitives.def); a null kernel means "this device has no kernel for this
// dtype". Lookup is an array index.
class KernelTable {
 public:
  KernelTable() : slots_(static_cast<size_t>(ops::kNumOpIds) * kNumDTypes * kNumDTypes) {}
  template <class Kernel>
  void set(ops::OpId op, DType dtype, Kernel kernel) {
    set(op, dtype, dtype, kernel);
  }
  template <class Kernel>
  void set(ops::OpId op, DType dtype, DType to, Kernel kernel) {
    slots_[index(op, dtype, to)] = reinterpret_cast<AnyKernel>(kernel);
  }
  // One kernel for every dtype: the kernels that only move bytes.
  template <class Kernel>
  void set_for_every_dtype(ops::OpId op, Kernel kernel) {
    for (int d = 0; d < kNumDTypes; ++d) set(op, static_cast<DType>(d), kernel);
  }
  template <class Kernel>
  Kernel get(ops::OpId op, DType dtype, DType to) const {
    return reinterpret_cast<Kernel>(slots_[index(op, dtype, to)]);
  }
  template <class Kernel>
  Kernel get(ops::OpId op, DType dtype) const {
    return get<Kernel>(op, dtype, dtype);
  }

 private:
  using AnyKernel = void (*)();
  static size_t index(ops::OpId op, DType dtype, DType to) {
    return (static_cast<size_t>(op.value) * kNumDTypes + static_cast<size_t>(dtype)) * kNumDTypes +
           static_cast<size_t>(to);
  }
  std::vector<AnyKernel> slots_;
};

const KernelTable& kernels(DeviceType device);

// A backend's kernel families fill their device's table: each family file registers its filler
// at load time (`const bool registered = register_kernels(...)`), so adding a family edits no
// list. The table is built on its first use, after every filler has registered.
using KernelFiller = void (*)(KernelTable& table);
bool register_kernels(DeviceType device, KernelFiller fill);

}  // namespace tf::rt
