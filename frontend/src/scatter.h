// The scatter primitive's op function and the index helpers the ops built on it share
// (frontend/src/scatter.cpp; the segment reductions and bincount in segment.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tfjit/tensor.h"

namespace tf::detail {

// tfjit.scatter: a copy of x with `updates` combined in at the index tuples `indices` (int32 or
// int64, (batch..., K)); `combiner` is "update" or a reduction of ops/reduction_ops.def
// ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min"). Rows whose index lies outside x are
// skipped: callers check indices first where TensorFlow raises. Validates shapes and dtypes
// (InvalidArgumentError naming `op`) and records the gradient w.r.t. x and updates (a row
// skipped gets none).
Tensor scatter(const std::string& op, std::string_view combiner, const Tensor& x,
               const Tensor& indices, const Tensor& updates);

// The slices of t at the index tuples, zeros for a tuple outside t (TensorFlow's
// _GatherDropNegatives): the gradient of a scatter w.r.t. its updates. Differentiable (its
// gradient a scatter, so linear); inside a tf::function t's first K dims must be known.
Tensor gather_nd_or_zero(const std::string& op, const Tensor& t, const Tensor& indices);

// Raises InvalidArgumentError as TensorFlow's CPU kernels do ("indices[1] = [5] does not index
// into shape (4,)") if an index tuple lies outside the first K dims of `shape`: now when the
// indices are concrete, else once the compiled function has run (tfjit.fail_if). `like`, a
// tensor of that shape, lends the sizes of its unknown dims while tracing.
void check_index_tuples(const std::string& op, const Tensor& indices, const Tensor& like);

// The values of a concrete integer tensor as int64, read on the host (also while tracing).
std::vector<int64_t> host_int64(const Tensor& t);

// `value` (converted to `dtype`, saturating: -inf is an integer's lowest) in every element of
// `shape`; while tracing a broadcast in the graph, whose unknown dims `like` lend (as
// detail::broadcast_to).
Tensor filled(const TensorShape& shape, double value, DType dtype, const std::vector<Tensor>& like);

}  // namespace tf::detail
