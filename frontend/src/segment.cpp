// tf.math's segment reductions and bincount, each one scatter (frontend/src/scatter.cpp) into a
// tensor of the combiner's identity, so linear in the data: the ids (with a trailing index dim)
// are the index tuples, the data the updates. A negative id addresses no row, so the scatter
// skips it (TensorFlow drops those rows); an id past the last segment raises. Gradients are the
// scatter's (TensorFlow's: gathered back; max and min split between tied winners; prod
// zero-safe); mean and sqrt_n divide a sum by the counts.
#include <cmath>

#include "frontend/src/op_helpers.h"
#include "frontend/src/scatter.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::math {

using detail::checked;

namespace {

enum class Combine { kSum, kMean, kSqrtN, kMax, kMin, kProd };

void check_segments(const std::string& op, const Tensor& data, const Tensor& ids,
                    int64_t num_segments) {
  checked(data, op, "data");
  checked(ids, op, "segment_ids");
  detail::check_dtype(op, ids.dtype(), core::DTypeSet{int32, int64});
  detail::check_dtype(op, data.dtype(), core::kNumeric);
  bool prefix = ids.ndim() >= 1 && ids.ndim() <= data.ndim();
  for (int64_t d = 0; prefix && d < ids.ndim(); ++d)
    prefix = ids.shape()[d] == data.shape()[d] || ids.shape()[d] == kUnknownDim ||
             data.shape()[d] == kUnknownDim;
  if (!prefix)
    throw InvalidArgumentError(op + ": segment_ids " + ids.shape().to_string() +
                               " must have one id per row of data " + data.shape().to_string() +
                               " (their shape a prefix of data's)");
  if (num_segments < 0 || num_segments > (int64_t{1} << 31))
    throw InvalidArgumentError(op + ": num_segments must be in [0, 2^31], got " +
                               std::to_string(num_segments));
  // Negative ids are dropped (the scatter skips them); past the last segment is an error: found
  // on the host when the ids are concrete (also while tracing), else by the compiled function.
  const std::string message = op + ": a segment id is not below " + std::to_string(num_segments) +
                              ", in ids of shape " + ids.shape().to_string();
  if (auto* trace = detail::TraceContext::current(); trace && ids.is_symbolic()) {
    trace->emit_effect(
        "fail_if",
        {reduce_any(greater_equal(ids, fill({}, static_cast<double>(num_segments), ids.dtype())))},
        {{"message", message}});
    return;
  }
  for (int64_t id : detail::host_int64(ids))
    if (id >= num_segments) throw InvalidArgumentError(message);
}

// (num_segments, data's dims after the ids') of `value`.
Tensor segments_of(const Tensor& data, const Tensor& ids, int64_t num_segments, double value,
                   DType dtype) {
  std::vector<int64_t> shape = {num_segments};
  shape.insert(shape.end(), data.shape().dims().begin() + ids.ndim(), data.shape().dims().end());
  return detail::filled(TensorShape(shape), value, dtype, {data});
}

// The number of rows in each segment, shaped to broadcast against the result.
Tensor counts(const std::string& op, const Tensor& data, const Tensor& ids, int64_t n) {
  Tensor ones_per_id = detail::filled(ids.shape(), 1, data.dtype(), {ids});
  Tensor count = detail::scatter(op, "reduce_sum", detail::filled({n}, 0, data.dtype(), {}),
                                 expand_dims(ids, -1), ones_per_id);
  for (int64_t d = ids.ndim(); d < data.ndim(); ++d) count = expand_dims(count, -1);
  return count;
}

Tensor unsorted(const std::string& op, Combine combine, const Tensor& data, const Tensor& ids,
                int64_t n) {
  check_segments(op, data, ids, n);
  const Tensor index = expand_dims(ids, -1);
  switch (combine) {
    case Combine::kMax:  // empty segments: the dtype's lowest, as TensorFlow's
      return detail::scatter(op, "reduce_max", segments_of(data, ids, n, -INFINITY, data.dtype()),
                             index, data);
    case Combine::kMin:
      return detail::scatter(op, "reduce_min", segments_of(data, ids, n, INFINITY, data.dtype()),
                             index, data);
    case Combine::kProd:
      return detail::scatter(op, "reduce_prod", segments_of(data, ids, n, 1, data.dtype()), index,
                             data);
    default:
      break;
  }
  Tensor sum =
      detail::scatter(op, "reduce_sum", segments_of(data, ids, n, 0, data.dtype()), index, data);
  if (combine == Combine::kSum) return sum;
  Tensor count = counts(op, data, ids, n);
  return divide_no_nan(sum, combine == Combine::kMean ? count : sqrt(count));
}

// max(id) + 1 of concrete, sorted ids.
int64_t sorted_segments(const std::string& op, const Tensor& ids) {
  checked(ids, op, "segment_ids");
  if (ids.is_symbolic())
    throw UnimplementedError(op +
                             ": the number of segments depends on the ids' values, which a "
                             "tf::function does not know while tracing; use unsorted_" +
                             op + " with num_segments");
  detail::check_dtype(op, ids.dtype(), core::DTypeSet{int32, int64});
  if (ids.ndim() != 1)
    throw InvalidArgumentError(op + ": segment_ids must be a vector, got " +
                               ids.shape().to_string());
  const std::vector<int64_t> v = detail::host_int64(ids);
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || (i > 0 && v[i] < v[i - 1]))
      throw InvalidArgumentError(op + ": segment ids must be non-negative and sorted, got " +
                                 std::to_string(v[i]) + " at " + std::to_string(i));
  return v.empty() ? 0 : v.back() + 1;
}

// Sorted segments leave no gaps at the identity: TensorFlow gives empty ones 0.
Tensor sorted(const std::string& op, Combine combine, const Tensor& data, const Tensor& ids) {
  const int64_t n = sorted_segments(op, ids);
  Tensor r = unsorted(op, combine, data, ids, n);
  if (combine != Combine::kMax && combine != Combine::kMin) return r;
  return where(counts(op, data, ids, n) > 0.0, r, zeros_like(r));
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
TFJIT_UNSORTED(prod, Combine::kProd)
#undef TFJIT_UNSORTED

#define TFJIT_SORTED(name, combine)                              \
  Tensor segment_##name(const Tensor& data, const Tensor& ids) { \
    return sorted("segment_" #name, combine, data, ids);         \
  }
TFJIT_SORTED(sum, Combine::kSum)
TFJIT_SORTED(mean, Combine::kMean)
TFJIT_SORTED(max, Combine::kMax)
TFJIT_SORTED(min, Combine::kMin)
#undef TFJIT_SORTED

Tensor bincount(const Tensor& arr, const Tensor& weights, std::optional<int64_t> minlength,
                std::optional<int64_t> maxlength, DType dtype, bool binary_output) {
  const std::string op = "bincount";
  checked(arr, op, "arr");
  detail::check_dtype(op, arr.dtype(), core::DTypeSet{int32, int64});
  if (weights.defined()) {
    checked(weights, op, "weights");
    if (binary_output)
      throw InvalidArgumentError(op + ": binary_output and weights are mutually exclusive");
    if (!core::match_shape(arr.shape(), weights.shape()).empty() &&
        !core::match_shape(weights.shape(), arr.shape()).empty())
      throw InvalidArgumentError(op + ": weights " + weights.shape().to_string() +
                                 " must have the shape of arr " + arr.shape().to_string());
  }
  const DType out_dtype = weights.defined() ? weights.dtype() : dtype;
  detail::check_dtype(op, out_dtype, core::kNumeric);
  for (auto [name, v] : {std::pair{"minlength", minlength}, std::pair{"maxlength", maxlength}})
    if (v && (*v < 0 || *v > (int64_t{1} << 31)))
      throw InvalidArgumentError(op + ": " + name + " must be in [0, 2^31], got " +
                                 std::to_string(*v));
  const std::string negative = op + ": Input arr must be non-negative!";
  int64_t length = 0;
  if (auto* trace = detail::TraceContext::current(); trace && arr.is_symbolic()) {
    if (!minlength || !maxlength || *minlength != *maxlength)
      throw UnimplementedError(op +
                               ": the output's length max(arr) + 1 depends on arr's values, "
                               "which a tf::function does not know while tracing; give "
                               "minlength == maxlength");
    length = *minlength;
    trace->emit_effect("fail_if", {reduce_any(less(arr, zeros({}, arr.dtype())))},
                       {{"message", negative}});
  } else {
    // A value at or past maxlength makes the length maxlength (it is dropped, not counted), so
    // v + 1 is never formed for it; without maxlength the length is bounded as maxlength is.
    const int64_t cap = maxlength ? *maxlength : int64_t{1} << 31;
    for (int64_t v : detail::host_int64(arr)) {
      if (v < 0) throw InvalidArgumentError(negative);
      if (v >= cap) {
        if (maxlength) {  // max(arr) + 1 clipped to maxlength
          length = cap;
          continue;
        }
        throw InvalidArgumentError(op + ": a value of arr (" + std::to_string(v) +
                                   ") would make the output longer than 2^31; give maxlength");
      }
      length = std::max(length, v + 1);
    }
    if (minlength) length = std::max(length, *minlength);
    if (maxlength) length = std::min(length, *maxlength);
  }
  // Values at or past the length are dropped: the scatter skips them.
  Tensor values = reshape(arr, {-1});
  Tensor w = weights.defined() ? reshape(weights, {-1})
                               : detail::filled(values.shape(), 1, out_dtype, {values});
  return detail::scatter(op, binary_output ? "update" : "reduce_sum",
                         detail::filled({length}, 0, out_dtype, {}), expand_dims(values, -1), w);
}

}  // namespace tf::math
