// tf.math's composites beyond the table ops: spread and norms, and TensorFlow's clipping by norm.
#include <cmath>
#include <limits>

#include "frontend/src/op_helpers.h"
#include "tfjit/creation.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf {

using detail::checked;

namespace math {

Tensor reduce_variance(const Tensor& x, Axes axis, bool keepdims) {
  checked(x, "reduce_variance", "x");
  detail::check_dtype("reduce_variance", x.dtype(), core::kFloat);
  Tensor mean = reduce_mean(x, axis, /*keepdims=*/true);
  return reduce_mean(squared_difference(x, mean), axis, keepdims);
}

Tensor reduce_std(const Tensor& x, Axes axis, bool keepdims) {
  return sqrt(reduce_variance(x, axis, keepdims));
}

Tensor reduce_euclidean_norm(const Tensor& x, Axes axis, bool keepdims) {
  checked(x, "reduce_euclidean_norm", "x");
  detail::check_dtype("reduce_euclidean_norm", x.dtype(), core::kFloat);
  return sqrt(reduce_sum(square(x), axis, keepdims));
}

Tensor polygamma(const Tensor& a, const Tensor& x) {
  checked(a, "polygamma", "a");
  checked(x, "polygamma", "x");
  detail::check_dtype("polygamma", x.dtype(), core::kFloat);
  if (a.dtype() != x.dtype())
    throw InvalidArgumentError("polygamma: a and x must have the same dtype, got " +
                               std::string(dtype_name(a.dtype())) + " and " +
                               std::string(dtype_name(x.dtype())));
  Tensor n = stop_gradient(a);  // TensorFlow defines no gradient w.r.t. the order
  Tensor sign = where(equal(floormod(n, 2.0), 0.0), -ones_like(n), ones_like(n));
  Tensor higher = sign * exp(lgamma(n + 1.0)) * zeta(n + 1.0, x);
  Tensor whole = logical_and(n >= 0.0, equal(n, floor(n)));
  return where(equal(n, 0.0), digamma(x), where(whole, higher, NAN));
}

}  // namespace math

Tensor norm(const Tensor& x, double ord, Axes axis, bool keepdims) {
  checked(x, "norm", "tensor");
  detail::check_dtype("norm", x.dtype(), core::kFloat);
  if (ord == 2) return math::reduce_euclidean_norm(x, axis, keepdims);
  if (!axis.list || axis.list->size() != 1)
    throw UnimplementedError("norm: ord " + std::to_string(ord) +
                             " is supported over one axis (a vector norm), got " +
                             (axis.list ? std::to_string(axis.list->size()) : "all") + " axes");
  if (ord == 1) return reduce_sum(abs(x), axis, keepdims);
  if (ord == std::numeric_limits<double>::infinity()) return reduce_max(abs(x), axis, keepdims);
  throw InvalidArgumentError("norm: ord must be 1, 2 or infinity, got " + std::to_string(ord));
}

Tensor clip_by_norm(const Tensor& t, double clip_norm, Axes axes) {
  checked(t, "clip_by_norm", "t");
  detail::check_dtype("clip_by_norm", t.dtype(), core::kFloat);
  if (!(clip_norm > 0))
    throw InvalidArgumentError("clip_by_norm: clip_norm must be > 0, got " +
                               std::to_string(clip_norm));
  // As TensorFlow: sqrt only where the sum is positive, so an all-zero t has a finite gradient.
  Tensor l2sum = reduce_sum(square(t), axes, /*keepdims=*/true);
  Tensor positive = l2sum > 0.0;
  Tensor l2 = where(positive, sqrt(where(positive, l2sum, ones_like(l2sum))), l2sum);
  return t * clip_norm / maximum(l2, fill({}, clip_norm, t.dtype()));
}

ClippedByGlobalNorm clip_by_global_norm(const std::vector<Tensor>& tensors, double clip_norm) {
  if (!(clip_norm > 0))
    throw InvalidArgumentError("clip_by_global_norm: clip_norm must be > 0, got " +
                               std::to_string(clip_norm));
  // In the first tensor's dtype, as TensorFlow sums them.
  Tensor sum;
  for (const Tensor& t : tensors) {
    if (!t.defined()) continue;
    detail::check_dtype("clip_by_global_norm", t.dtype(), core::kFloat);
    Tensor s = reduce_sum(square(t));
    sum = sum.defined() ? sum + cast(s, sum.dtype()) : s;
  }
  if (!sum.defined()) return {tensors, zeros({})};
  Tensor global = sqrt(sum);
  // An infinite or NaN norm makes every result NaN, as TensorFlow's (global - global).
  Tensor factor =
      clip_norm / maximum(global, fill({}, clip_norm, global.dtype())) + (global - global);
  ClippedByGlobalNorm out{{}, global};
  for (const Tensor& t : tensors)
    out.tensors.push_back(t.defined() ? t * cast(factor, t.dtype()) : t);
  return out;
}

}  // namespace tf
