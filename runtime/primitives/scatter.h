// The scatter primitive's kernels (tfjit.scatter, registered under ops::Primitive::scatter for
// each dtype): a copy of `operand` into which `updates` are combined at `indices`, in
// tf.scatter_nd's layout. The ops of tf.tensor_scatter_nd_*, scatter_nd and the segment
// reductions are composites of it (frontend/src/scatter.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ops/op_info.h"

namespace tf::rt {

// Contiguous tensors: operand (dims[0], ..., dims[K-1], slice elements), indices (rows, K) of
// int32 or int64, updates (rows, slice). out = operand, then for each row r in order whose index
// tuple lies inside dims, out[indices[r], :] = combine(out[indices[r], :], updates[r, :]); a row
// with an index outside [0, dims[k]) is skipped (the op functions check indices before).
// `combiner` is a reduction of ops/reduction_ops.def (reduce_sum, reduce_prod, reduce_max, ...)
// or none for "update": the last row written to an element wins.
struct ScatterPlan {
  int64_t rows;
  std::vector<int64_t> dims;
  int64_t slice;
  bool indices64;
  std::optional<ops::ReduceOp> combiner;
};
using ScatterKernel = void (*)(const void* operand, const void* indices, const void* updates,
                               void* out, const ScatterPlan& plan);

}  // namespace tf::rt
