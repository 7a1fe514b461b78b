// The op library. Every function runs eagerly, or adds an op to the graph when called while a
// tf::function is tracing. The table ops (elementwise, reductions) are declared in
// tfjit/table_ops.h.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/table_ops.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {

// --- Elementwise (NumPy broadcasting; both tensors must have the same dtype) --------------------
// One function per line of the op table, declared in tfjit/table_ops.h with the dtypes each
// accepts. Comparisons return bool tensors. Integer floordiv/floormod by zero raise
// InvalidArgumentError.

// Elementwise choice: x where cond is true, else y (TensorFlow 2's tf.where with three
// arguments; the three broadcast together; x and y share a dtype, cond is bool).
Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y);

// Clamps x to [clip_value_min, clip_value_max] (scalars or tensors broadcasting with x).
// (C++ scalar bounds: see the overload after the operators below.)
Tensor clip_by_value(const Tensor& x, const Tensor& clip_value_min, const Tensor& clip_value_max);

// TensorFlow's true division: floats divide (realdiv); int8/int16/uint8 are computed in float32
// and int32/int64 in float64, as tf.math.truediv does.
Tensor divide(const Tensor& x, const Tensor& y);
inline Tensor truediv(const Tensor& x, const Tensor& y) { return divide(x, y); }

// --- Linear algebra and reductions ---------------------------------------------------------------
// Matrix product over the last two axes, (..., m, k) x (..., k, n) -> (..., m, n), with the
// leading (batch) axes broadcast; transpose_a/b transpose the last two axes first.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
// Contracts the last `axes` axes of a with the first `axes` axes of b (tf.tensordot), or the
// listed axes pairwise.
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t axes);
Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& axes_a,
                 const std::vector<int64_t>& axes_b);
// Einstein summation of any number of operands ("ij,jk->ik", "bij,bkj->bik", "ij->j", "i,i->",
// "ij,jk,kl->il", ...; without "->" the output holds the indices used once, alphabetically).
// Pairs are contracted smallest result first. Each index letter may appear once per operand (no
// diagonals, no "...").
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
// Reductions from the reduction table (tfjit/table_ops.h): reduce_sum, reduce_prod, reduce_max,
// reduce_min (numeric), reduce_any, reduce_all (bool). Over no elements they give the identity
// (0, 1, -inf/lowest, +inf/highest, false, true).
// Index (int64) of the largest / smallest element along `axis`; the first wins ties, NaN counts
// as the extreme. An empty axis is an InvalidArgumentError.
Tensor argmax(const Tensor& x, int64_t axis = 0);
Tensor argmin(const Tensor& x, int64_t axis = 0);
// The mean; integer tensors give the mean truncated toward zero, as TensorFlow does.
Tensor reduce_mean(const Tensor& x, Axes axis = {}, bool keepdims = false);
// log(sum(exp(x))), computed stably.
Tensor reduce_logsumexp(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor softmax(const Tensor& logits, int64_t axis = -1);
Tensor log_softmax(const Tensor& logits, int64_t axis = -1);
// --- Shapes ------------------------------------------------------------------------------------
// Same elements, new shape; one dimension may be -1 (inferred). Shares x's buffer (no copy).
// Inside a tf::function an unknown dim of x.shape() reads -1 (tf::None); x.shape() itself may
// be passed back, with 1s added or removed.
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape);
// The shape as a 1-D integer tensor (see detail::shape_values in tensor.h).
template <std::same_as<Tensor> S>
Tensor reshape(const Tensor& x, const S& shape) {
  return detail::reshape_to(x, shape);
}
// Inserts a dimension of size 1 at `axis` (in [-rank-1, rank]).
Tensor expand_dims(const Tensor& x, int64_t axis);
// Removes dimensions of size 1: all of them, or the given axes (each must have size 1).
Tensor squeeze(const Tensor& x, const std::vector<int64_t>& axes = {});
// One axis: squeeze(x, 1). A template, so squeeze(x, {}) still means every size-1 dim.
template <std::integral I>
Tensor squeeze(const Tensor& x, I axis) {
  return squeeze(x, std::vector<int64_t>{static_cast<int64_t>(axis)});
}
// Output dim i is input dim perm[i]; by default the axes are reversed.
Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm = {});
// Joins tensors of one dtype along an existing axis / stacks them along a new one.
Tensor concat(const std::vector<Tensor>& values, int64_t axis);
Tensor stack(const std::vector<Tensor>& values, int64_t axis = 0);
// Splits along `axis` into its slices (each with that axis removed).
std::vector<Tensor> unstack(const Tensor& x, int64_t axis = 0);
// Splits along `axis` into `num` equal parts, or into parts of the given sizes (one may be -1).
std::vector<Tensor> split(const Tensor& x, int64_t num, int64_t axis = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t axis = 0);
// Repeats x multiples[d] times along each dimension d.
Tensor tile(const Tensor& x, const std::vector<int64_t>& multiples);
// Pads with `value`: paddings[d] = {before, after} for each dimension d.
Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings,
           double value = 0);
// Slices of params along `axis` at the integer `indices` (result shape: params.shape[:axis] +
// indices.shape + params.shape[axis+1:]). An index outside [0, dim) is an InvalidArgumentError,
// eagerly and compiled (there raised once the call has run).
Tensor gather(const Tensor& params, const Tensor& indices, int64_t axis = 0);
// tf.slice: `size[d]` elements from `begin[d]` in each dimension (-1: to the end).
Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size);
// Reverses the order of elements along the given axes.
Tensor reverse(const Tensor& x, const std::vector<int64_t>& axes);
// The shape as an int32 vector, and the rank as an int32 scalar (tf.shape, tf.rank).
Tensor shape(const Tensor& x);
Tensor rank(const Tensor& x);
// The same values as a new tensor on the device of the current tf::device_scope (or the default
// device): how a tensor is copied between devices explicitly, as tf.identity.
Tensor identity(const Tensor& x);
// Broadcasts x to `shape` by NumPy's rules.
Tensor broadcast_to(const Tensor& x, const TensorShape& shape);
template <std::same_as<Tensor> S>
Tensor broadcast_to(const Tensor& x, const S& shape) {
  return detail::broadcast_to_shape("broadcast_to", x, shape);
}
Tensor cast(const Tensor& x, DType dtype);

// --- Operators: C++ scalars adapt to the tensor's dtype
// -------------------------------------------
template <class S>
concept Scalar = std::is_arithmetic_v<S>;

#define TFJIT_OPERATOR(op, fn)                                                     \
  inline Tensor operator op(const Tensor& x, const Tensor& y) { return fn(x, y); } \
  template <Scalar S>                                                              \
  Tensor operator op(const Tensor& x, S y) {                                       \
    return fn(x, scalar_like(x, static_cast<double>(y)));                          \
  }                                                                                \
  template <Scalar S>                                                              \
  Tensor operator op(S x, const Tensor& y) {                                       \
    return fn(scalar_like(y, static_cast<double>(x)), y);                          \
  }
TFJIT_OPERATOR(+, add)
TFJIT_OPERATOR(-, subtract)
TFJIT_OPERATOR(*, multiply)
TFJIT_OPERATOR(/, divide)
TFJIT_OPERATOR(%, floormod)
TFJIT_OPERATOR(==, equal)
TFJIT_OPERATOR(!=, not_equal)
TFJIT_OPERATOR(<, less)
TFJIT_OPERATOR(<=, less_equal)
TFJIT_OPERATOR(>, greater)
TFJIT_OPERATOR(>=, greater_equal)
TFJIT_OPERATOR(&, logical_and)
TFJIT_OPERATOR(|, logical_or)
TFJIT_OPERATOR(^, logical_xor)
#undef TFJIT_OPERATOR

template <Scalar Lo, Scalar Hi>
Tensor clip_by_value(const Tensor& x, Lo lo, Hi hi) {
  return clip_by_value(x, scalar_like(x, static_cast<double>(lo)),
                       scalar_like(x, static_cast<double>(hi)));
}
template <Scalar S>
Tensor where(const Tensor& cond, const Tensor& x, S y) {
  return where(cond, x, scalar_like(x, static_cast<double>(y)));
}
template <Scalar S>
Tensor where(const Tensor& cond, S x, const Tensor& y) {
  return where(cond, scalar_like(y, static_cast<double>(x)), y);
}
inline Tensor operator-(const Tensor& x) { return negative(x); }
inline Tensor operator~(const Tensor& x) { return logical_not(x); }

// Beside the table ops (tfjit/table_ops.h), what TensorFlow also places under tf.math.
namespace math {
// Standard deviation and variance (biased, as TensorFlow's) over `axis`.
Tensor reduce_std(const Tensor& x, Axes axis = {}, bool keepdims = false);
Tensor reduce_variance(const Tensor& x, Axes axis = {}, bool keepdims = false);
// sqrt(sum(x^2)) over `axis`.
Tensor reduce_euclidean_norm(const Tensor& x, Axes axis = {}, bool keepdims = false);
// The a-th derivative of digamma: (-1)^(a+1) a! zeta(a + 1, x), digamma(x) for a == 0, NaN where
// `a` is not a non-negative whole number. Broadcasts; a gradient w.r.t. x only, as TensorFlow.
Tensor polygamma(const Tensor& a, const Tensor& x);
using tf::argmax;
using tf::argmin;
using tf::divide;
using tf::reduce_logsumexp;
using tf::reduce_mean;
using tf::softmax;
using tf::truediv;
}  // namespace math

// Sorting along `axis`, "ASCENDING" or "DESCENDING"; stable (equal elements keep their order);
// NaN above every number, as NumPy's (TensorFlow leaves NaN's place unspecified). argsort's
// indices are int32.
Tensor sort(const Tensor& values, int64_t axis = -1, std::string_view direction = "ASCENDING");
Tensor argsort(const Tensor& values, int64_t axis = -1, std::string_view direction = "ASCENDING",
               bool stable = false);
// tf.unique and tf.unique_with_counts: the distinct values of a vector in order of first
// appearance (y), each element's position in y (idx, of dtype out_idx) and each value's count.
// NaNs are all distinct, as TensorFlow's. Eager only: y's size depends on x's values, so inside a
// tf::function it raises UnimplementedError (call it before).
struct Unique {
  Tensor y, idx, count;
};
Unique unique(const Tensor& x, DType out_idx = int32);
inline Unique unique_with_counts(const Tensor& x, DType out_idx = int32) {
  return unique(x, out_idx);
}
namespace math {
// The k largest entries of each row (the last axis), largest first, and their int32 indices;
// equal values in index order. `sorted` false is accepted (the order is then unspecified).
struct TopK {
  Tensor values, indices;
};
TopK top_k(const Tensor& input, int64_t k = 1, bool sorted = true);
// Whether each target's prediction is among the k largest of its row; ties at the boundary all
// count as inside; a non-finite prediction is not. A target outside [0, classes) raises.
Tensor in_top_k(const Tensor& targets, const Tensor& predictions, int64_t k);
}  // namespace math

// Segment reductions along the leading axes of `data`: output row s combines the rows i with
// segment_ids[i] == s (segment_ids' shape a prefix of data's; a vector for segment_*).
// unsorted_segment_*: `num_segments` rows; a negative id drops its row, an id >= num_segments
// raises; empty segments give 0 (sum, mean, sqrt_n), 1 (prod) or the dtype's lowest / highest
// value (max / min), as TensorFlow's. segment_*: ids sorted, max(id) + 1 rows (the ids must be
// concrete: inside tf::function the result's size would depend on their values), empty segments
// 0. Built on the scatter primitive: linear in the data (O(rows * row size)).
namespace math {
Tensor unsorted_segment_sum(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);
Tensor unsorted_segment_mean(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);
Tensor unsorted_segment_sqrt_n(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);
Tensor unsorted_segment_max(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);
Tensor unsorted_segment_min(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);
Tensor unsorted_segment_prod(const Tensor& data, const Tensor& segment_ids, int64_t num_segments);
Tensor segment_sum(const Tensor& data, const Tensor& segment_ids);
Tensor segment_mean(const Tensor& data, const Tensor& segment_ids);
Tensor segment_max(const Tensor& data, const Tensor& segment_ids);
Tensor segment_min(const Tensor& data, const Tensor& segment_ids);
// tf.math.bincount: out[v] counts the elements of `arr` (int32 or int64, non-negative) equal to
// v, or sums their `weights` (arr's shape; the result then has the weights' dtype, else
// `dtype`). Length max(arr) + 1, at least `minlength`, at most `maxlength` (values beyond are
// dropped); `binary_output` gives 1 where a value occurs. Inside a tf::function the length must
// not depend on arr's values: give minlength == maxlength (else UnimplementedError).
Tensor bincount(const Tensor& arr, const Tensor& weights = Tensor(),
                std::optional<int64_t> minlength = std::nullopt,
                std::optional<int64_t> maxlength = std::nullopt, DType dtype = int32,
                bool binary_output = false);
}  // namespace math

// --- Scatter and gather by index tuples (tf.scatter_nd's layout) ------------------------------
// `indices` (int32 or int64) of shape (batch..., K) address the first K dims of the tensor;
// `updates` have shape (batch..., tensor dims K...). An index outside its dim raises
// InvalidArgumentError, eagerly and compiled (there once the call has run), as TensorFlow's CPU
// kernels do. Duplicate indices: update keeps the last row (TensorFlow leaves it unspecified),
// add / sub / max / min combine them all. Gradients w.r.t. tensor and updates as TensorFlow's
// (max / min: split between the tied winners; update: every row gets the gradient at its index,
// also a duplicate that a later row overwrote).
Tensor tensor_scatter_nd_update(const Tensor& tensor, const Tensor& indices, const Tensor& updates);
Tensor tensor_scatter_nd_add(const Tensor& tensor, const Tensor& indices, const Tensor& updates);
Tensor tensor_scatter_nd_sub(const Tensor& tensor, const Tensor& indices, const Tensor& updates);
Tensor tensor_scatter_nd_max(const Tensor& tensor, const Tensor& indices, const Tensor& updates);
Tensor tensor_scatter_nd_min(const Tensor& tensor, const Tensor& indices, const Tensor& updates);
// updates summed into zeros of `shape`.
Tensor scatter_nd(const Tensor& indices, const Tensor& updates, const TensorShape& shape);
template <std::same_as<Tensor> S>
Tensor scatter_nd(const Tensor& indices, const Tensor& updates, const S& shape) {
  return scatter_nd(indices, updates, TensorShape(detail::shape_values("scatter_nd", shape)));
}
// The slices of params at the index tuples: shape (batch..., params dims K...). Its gradient is a
// scatter (linear). Inside a tf::function params' first K dims must be known.
Tensor gather_nd(const Tensor& params, const Tensor& indices);

// tf.norm: `ord` 2 (TensorFlow's "euclidean": over two axes the Frobenius norm, not the spectral
// norm TensorFlow's ord=2 gives there), 1, or infinity
// (std::numeric_limits<double>::infinity()) over one axis; over `axis` (all axes by default).
Tensor norm(const Tensor& x, double ord = 2, Axes axis = {}, bool keepdims = false);
// t * clip_norm / max(l2 norm of t over `axes`, clip_norm).
Tensor clip_by_norm(const Tensor& t, double clip_norm, Axes axes = {});
// Every tensor scaled by clip_norm / max(global_norm, clip_norm), global_norm the l2 norm of all
// of them together (null tensors stay null, as TensorFlow's None gradients).
struct ClippedByGlobalNorm {
  std::vector<Tensor> tensors;
  Tensor global_norm;
};
ClippedByGlobalNorm clip_by_global_norm(const std::vector<Tensor>& tensors, double clip_norm);

// tf.linalg's names for ops above.
namespace linalg {
using tf::einsum;
using tf::matmul;
using tf::norm;
using tf::tensordot;
}  // namespace linalg

// What TensorFlow places under tf.nn among the ops above (tfjit/nn.h adds pooling).
namespace nn {
using tf::log_softmax;
using tf::relu;
using tf::sigmoid;
using tf::softmax;
using tf::softplus;
}  // namespace nn

}  // namespace tf
TFJIT_API_END
