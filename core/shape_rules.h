// Shape rules shared by eager execution, tracing and the dialect's verifiers, so that an op's
// shape logic exists once. They never throw: a failure comes back as a message that names the
// offending shapes, for the caller to raise (frontend) or emit as a diagnostic (ir).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tfjit/shape.h"

namespace tf::core {

struct ShapeResult {
  TensorShape shape;
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

// Shapes may hold kUnknownDim (-1, printed None) while tracing a tf::function with an
// input_signature or reduce_retracing: dims known only at the call. The rules treat an unknown
// dim as "some size": against 1 it stays unknown, against n it is assumed to be n, against
// another unknown it is assumed equal. Every assumption is checked at the call, when the
// compiled graph's shapes are re-derived from the concrete inputs (compiler/dynamic_shapes.cpp).

// NumPy broadcasting of two shapes.
ShapeResult broadcast_shapes(const TensorShape& a, const TensorShape& b);
// Can `from` be broadcast to `to`?
bool broadcastable_to(const TensorShape& from, const TensorShape& to);
// Does concrete `actual` fit `traced` (same rank; each known dim equal)? Empty if so, else why.
std::string match_shape(const TensorShape& traced, const TensorShape& actual);
// The matmul primitive: (m, k) x (k, n) -> (m, n), or batched (b, m, k) x (b, k, n) -> (b, m, n).
ShapeResult matmul_shape(const TensorShape& a, const TensorShape& b);
// Sorted, de-duplicated axes in [0, rank); negative axes count from the end.
struct AxesResult {
  std::vector<int64_t> axes;
  std::string error;
};
AxesResult normalize_axes(const std::vector<int64_t>& axes, int64_t rank);
TensorShape reduce_shape(const TensorShape& in, const std::vector<int64_t>& sorted_axes,
                         bool keepdims);
// reshape: `requested` may hold one -1, inferred so the element count is unchanged. When `in` has
// unknown dims, the -1 stays unknown and the count is checked at the call.
ShapeResult reshape_shape(const TensorShape& in, const std::vector<int64_t>& requested);
// A reshape that only inserts or removes static 1s (expand_dims, squeeze, stack with unknown
// dims): the dims of `in` and `out` other than static 1s correspond in order, unknown to unknown
// and known to an equal known. For each dim of `out`, the dim of `in` it copies, or -1 for an
// inserted 1; nothing when the shapes are not so related.
std::optional<std::vector<int64_t>> unit_dim_reshape(const TensorShape& in, const TensorShape& out);
// A reshape whose dim i takes its size from dim like_dims[2i + 1] of like[like_dims[2i]]
// (operand -1: `out`'s dim i, static, or unknown and inferred from the element count, one at
// most). Unknown dims stay unknown until the call, where the element count is checked.
ShapeResult reshape_like_shape(const TensorShape& in, const TensorShape& out,
                               std::span<const int64_t> like_dims,
                               std::span<const TensorShape> like);
// transpose: `perm` must be a permutation of [0, rank); empty means reversed axes.
struct PermResult {
  std::vector<int64_t> perm;
  TensorShape shape;
  std::string error;
};
PermResult transpose_shape(const TensorShape& in, const std::vector<int64_t>& perm);
// concat along `axis` (already normalised): equal ranks, and equal dims except along axis.
ShapeResult concat_shape(const std::vector<TensorShape>& shapes, int64_t axis);
// unconcat, concat's inverse: piece `index` of x cut along `axis` at the sizes `parts` have
// there (x's dims elsewhere). The parts' sizes must add up to x's; their other dims are ignored.
ShapeResult unconcat_shape(const TensorShape& x, const std::vector<TensorShape>& parts,
                           int64_t axis, int64_t index);
// slice: per dimension d, `size[d]` elements from `start[d]` every `stride[d]`; a size of -1
// takes the rest of the dimension (stride 1), as tf.slice does, or with stride -1 and start -1
// the whole dimension last to first (reverse). Checks every read is in range.
ShapeResult slice_shape(const TensorShape& in, std::span<const int64_t> start,
                        std::span<const int64_t> size, std::span<const int64_t> stride);
// gather: params' dims before `axis`, then indices' dims, then params' dims after `axis`.
TensorShape gather_shape(const TensorShape& params, const TensorShape& indices, int64_t axis);
// take_along_axis: indices of x's rank whose dims equal x's except along `axis` (normalised);
// the result has the indices' shape.
ShapeResult take_along_axis_shape(const TensorShape& x, const TensorShape& indices, int64_t axis);
// scatter (scatter_nd's layout): indices (batch..., K) address the first K dims of `operand`
// (K known, at most its rank); updates are (batch..., operand dims K...). The result has the
// operand's shape.
ShapeResult scatter_shape(const TensorShape& operand, const TensorShape& indices,
                          const TensorShape& updates);
// A window reduction (pooling): per dimension, the input dilated by `dilations` (d - 1 gaps
// between elements), padded by `low` and `high`, then windows of `window` elements every
// `strides` elements. Each list has one entry per dimension; an unknown dim must have window,
// stride and dilation 1 and no padding (it passes through, as a batch dim does).
struct WindowSpec {
  std::vector<int64_t> window, strides, dilations, low, high;
};
ShapeResult reduce_window_shape(const TensorShape& in, const WindowSpec& spec);
// Convolution (core/conv_shapes.cpp), in the canonical layouts: x (batch, spatial..., channels),
// filter (spatial..., channels / groups, out channels), output (batch, spatial..., out channels).
// Per spatial dimension: the input padded by `low` and `high`, the filter dilated by `dilations`,
// placed every `strides` elements. Channels split into `groups` independent convolutions. Only
// the batch dim may be unknown.
struct ConvSpec {
  std::vector<int64_t> strides, dilations, low, high;
  int64_t groups = 1;
};
ShapeResult conv_shape(const TensorShape& x, const TensorShape& filter, const ConvSpec& spec);
// The gradient of a convolution with respect to its input (of shape `input`, whose batch may be
// unknown and then comes from `output_grad`), and to its filter (of shape `filter`).
ShapeResult conv_backprop_input_shape(const TensorShape& filter, const TensorShape& output_grad,
                                      const TensorShape& input, const ConvSpec& spec);
ShapeResult conv_backprop_filter_shape(const TensorShape& x, const TensorShape& output_grad,
                                       const TensorShape& filter, const ConvSpec& spec);
// The byte size of `count` elements of `itemsize` bytes, or nothing when it passes 2^62 (or
// count is negative): every allocation and every byte count read from a file goes through it.
std::optional<size_t> checked_bytes(int64_t count, size_t itemsize);
// Checks that every dimension is non-negative (or unknown, if allowed) and the element count
// fits in int64.
std::string validate_shape(const TensorShape& shape, bool allow_unknown = false);

// An elementwise iteration space: output dims with each input's element strides (0 where the
// input is broadcast), with adjacent dimensions merged where every operand allows it, so the
// innermost loop is as long as possible.
struct ElementwisePlan {
  std::vector<int64_t> dims;
  std::vector<int64_t> strides[2];
};
ElementwisePlan plan_elementwise(const TensorShape& out, const TensorShape& a,
                                 const TensorShape& b);

// A shape rule bound to one traced op (its attributes and traced types): the result's shape
// from the operands' shapes at a call. A graph with unknown dims runs its ops' rules at every
// call (compiler/dynamic_shapes.cpp); each op of the dialect gives its rule through
// ShapeRuleOpInterface (ir/TfjitOps.td).
using ShapeRule = std::function<ShapeResult(std::span<const TensorShape> operands)>;
// The first operand's shape (unary ops, casts).
ShapeRule same_as_first();
// Every operand's shape equal (binary ops, select, tf::cond's branches): `traced` are their
// traced shapes, named in the error.
ShapeRule all_equal(std::vector<TensorShape> traced);
// broadcast_to: the traced result's known dims; an unknown one from the operand (x, then the
// `like` operands) whose aligned dim is unknown. Then x must fit: tracing treated each of its
// non-1 dims as not broadcast.
ShapeRule broadcast_to(TensorShape traced_result, std::vector<TensorShape> traced_operands);

}  // namespace tf::core
