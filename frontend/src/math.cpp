// tf.math's composites beyond the table ops: spread and norms, and TensorFlow's clipping by norm.
#include <cmath>
#include <limits>

#include "frontend/src/op_helpers.h"
#include "tfjit/creation.h"
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

namespace tf::math {

namespace {

enum class Combine { kSum, kMean, kSqrtN, kMax, kMin };

// The segments' one-hot matrix (num_segments, rows): negative ids select none.
Tensor segment_matrix(const std::string& op, const Tensor& data, const Tensor& ids,
                      int64_t num_segments) {
  checked(data, op, "data");
  checked(ids, op, "segment_ids");
  detail::check_dtype(op, ids.dtype(), core::DTypeSet{int32, int64});
  detail::check_dtype(op, data.dtype(), core::kNumeric);
  if (ids.ndim() != 1 || data.ndim() < 1 ||
      (ids.shape()[0] != data.shape()[0] && ids.shape()[0] != kUnknownDim &&
       data.shape()[0] != kUnknownDim))
    throw InvalidArgumentError(op + ": segment_ids " + ids.shape().to_string() +
                               " must be a vector with one id per row of data " +
                               data.shape().to_string());
  if (num_segments < 0 || num_segments > (int64_t{1} << 31))
    throw InvalidArgumentError(op + ": num_segments must be in [0, 2^31], got " +
                               std::to_string(num_segments));
  // Negative ids are dropped (one_hot gives them no row); past the last segment is an error.
  detail::check_class_ids(op, ids, num_segments, "a segment id", /*allow_negative=*/true);
  return transpose(one_hot(ids, num_segments, 1, 0, data.dtype()));
}

Tensor unsorted(const std::string& op, Combine combine, const Tensor& data, const Tensor& ids,
                int64_t num_segments) {
  Tensor hot = segment_matrix(op, data, ids, num_segments);  // (segments, rows)
  std::vector<int64_t> rest(data.shape().dims().begin() + 1, data.shape().dims().end());
  std::vector<int64_t> flat_shape = {data.shape()[0], -1};
  if (combine == Combine::kMax || combine == Combine::kMin) {
    // (segments, rows, rest...): each segment's rows, the others at the identity.
    std::vector<int64_t> mask_shape = {num_segments, data.shape()[0]};
    mask_shape.insert(mask_shape.end(), rest.size(), 1);
    Tensor in = cast(reshape(hot, mask_shape), bool_);
    const bool is_max = combine == Combine::kMax;
    // The dtype's lowest / highest (float -> integer casts saturate).
    Tensor identity = cast(fill({}, is_max ? -INFINITY : INFINITY, float64), data.dtype());
    Tensor spread = where(in, expand_dims(data, 0), identity);
    return is_max ? reduce_max(spread, 1) : reduce_min(spread, 1);
  }
  Tensor sum = reshape(matmul(hot, reshape(data, flat_shape)), [&] {
    std::vector<int64_t> s = {num_segments};
    s.insert(s.end(), rest.begin(), rest.end());
    return s;
  }());
  if (combine == Combine::kSum) return sum;
  Tensor count = reduce_sum(hot, 1);  // rows per segment
  std::vector<int64_t> count_shape = {num_segments};
  count_shape.insert(count_shape.end(), rest.size(), 1);
  count = reshape(combine == Combine::kMean ? count : sqrt(count), count_shape);
  return divide_no_nan(sum, count);
}

// max(id) + 1 of concrete, sorted ids.
int64_t segments_of(const std::string& op, const Tensor& ids) {
  checked(ids, op, "segment_ids");
  if (ids.impl()->trace)
    throw UnimplementedError(op +
                             ": the number of segments depends on the ids' values, which a "
                             "tf::function does not know while tracing; use unsorted_" +
                             op + " with num_segments");
  detail::check_dtype(op, ids.dtype(), core::DTypeSet{int32, int64});
  auto v = cast(ids, int64).to_vector<int64_t>();
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || (i > 0 && v[i] < v[i - 1]))
      throw InvalidArgumentError(op + ": segment ids must be non-negative and sorted, got " +
                                 std::to_string(v[i]) + " at " + std::to_string(i));
  return v.empty() ? 0 : v.back() + 1;
}

}  // namespace

#define TFJIT_UNSORTED(name, combine)                                                       \
  Tensor unsorted_segment_##name(const Tensor& data, const Tensor& ids, int64_t segments) { \
    return unsorted("unsorted_segment_" #name, combine, data, ids, segments);               \
  }
TFJIT_UNSORTED(sum, Combine::kSum)
TFJIT_UNSORTED(mean, Combine::kMean)
TFJIT_UNSORTED(sqrt_n, Combine::kSqrtN)
TFJIT_UNSORTED(max, Combine::kMax)
TFJIT_UNSORTED(min, Combine::kMin)
#undef TFJIT_UNSORTED

// Sorted segments leave no gaps at the identity: TensorFlow gives empty ones 0.
#define TFJIT_SORTED(name, combine)                                                               \
  Tensor segment_##name(const Tensor& data, const Tensor& ids) {                                  \
    const int64_t n = segments_of("segment_" #name, ids);                                         \
    Tensor r = unsorted("segment_" #name, combine, data, ids, n);                                 \
    if (combine != Combine::kMax && combine != Combine::kMin) return r;                           \
    Tensor filled =                                                                               \
        unsorted("segment_" #name, Combine::kSum, ones({data.shape()[0]}, data.dtype()), ids, n); \
    std::vector<int64_t> s(static_cast<size_t>(data.ndim()), 1);                                  \
    s[0] = n;                                                                                     \
    return where(reshape(filled, s) > 0.0, r, zeros_like(r));                                     \
  }
TFJIT_SORTED(sum, Combine::kSum)
TFJIT_SORTED(mean, Combine::kMean)
TFJIT_SORTED(max, Combine::kMax)
TFJIT_SORTED(min, Combine::kMin)
#undef TFJIT_SORTED

}  // namespace tf::math
