// The scatter primitive (tfjit.scatter; ir/families/scatter.td) and the ops of tf.scatter_nd's
// family built on it: tensor_scatter_nd_update/add/sub/max/min, scatter_nd, gather_nd. The
// segment reductions and bincount (frontend/src/segment.cpp) are scatters too.
//
// Gradients, as TensorFlow's: w.r.t. the updates, the gradient gathered at the index tuples
// (gather_nd, whose own gradient is a scatter, so every order stays linear); w.r.t. the tensor,
// the gradient itself (add), or with the overwritten elements zeroed (update); max and min split
// each element's gradient between the tensor and the updates equal to the result; mul (the
// product segments) takes TensorFlow's zero-safe product rule.
#include "frontend/src/scatter.h"

#include <algorithm>
#include <span>

#include "frontend/src/op_helpers.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/primitives/scatter.h"
#include "tfjit/creation.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {

int64_t depth_of(const Tensor& indices) { return indices.shape()[indices.ndim() - 1]; }

std::vector<int64_t> batch_dims(const Tensor& indices) {
  const auto& d = indices.shape().dims();
  return {d.begin(), d.end() - 1};
}

void validate(const std::string& op, std::string_view combiner, const Tensor& x,
              const Tensor& indices, const Tensor& updates) {
  checked(x, op, "tensor");
  checked(indices, op, "indices");
  checked(updates, op, "updates");
  check_dtype(op, indices.dtype(), core::DTypeSet{int32, int64});
  check_same_dtype(op, x, updates);
  core::DTypeSet allowed = core::kAll;
  if (combiner != "update") {
    auto reduce = ops::find_reduce_op(combiner);
    if (!reduce) throw InternalError(op + ": unknown scatter combiner " + std::string(combiner));
    allowed = ops::op_info(*reduce).dtypes;
  }
  check_dtype(op, x.dtype(), allowed);
  core::ShapeResult r = core::scatter_shape(x.shape(), indices.shape(), updates.shape());
  if (!r.ok()) throw InvalidArgumentError(op + ": " + r.error);
}

// The sizes of `like`'s first k dims as a vector of `dtype`: a constant where they are known,
// else read by the graph (tf::shape).
Tensor leading_sizes(const Tensor& like, int64_t k, DType dtype) {
  std::vector<int64_t> sizes(like.shape().dims().begin(), like.shape().dims().begin() + k);
  if (std::ranges::find(sizes, kUnknownDim) == sizes.end())
    return cast(constant(sizes, TensorShape{k}), dtype);
  return cast(slice(shape(like), {0}, {k}), dtype);
}

}  // namespace

std::vector<int64_t> detail::host_int64(const Tensor& indices) {
  Tensor idx = detail::empty(int64, indices.shape(), rt::Device{});
  cpu_kernels().get<rt::CastKernel>(ops::Primitive::cast, indices.dtype(), int64)(
      to_cpu(indices).data(), raw_mut(idx), indices.num_elements());
  const auto* v = static_cast<const int64_t*>(raw(idx));
  return {v, v + indices.num_elements()};
}

namespace {

std::vector<Tensor> scatter_gradient(const std::string& op, const std::string& combiner,
                                     const Tensor& x, const Tensor& indices, const Tensor& updates,
                                     const Tensor& out, const Tensor& g) {
  Tensor gx, gu;
  if (combiner == "update") {
    if (gradient_needed(0)) gx = scatter(op, "update", g, indices, zeros_like(updates));
    if (gradient_needed(2)) gu = gather_nd_or_zero(op, g, indices);
  } else if (combiner == "reduce_sum") {
    gx = g;
    if (gradient_needed(2)) gu = gather_nd_or_zero(op, g, indices);
  } else if (combiner == "reduce_max" || combiner == "reduce_min") {
    // Each element's gradient split evenly between x and the updates equal to the result.
    Tensor x_won = cast(equal(x, out), g.dtype());
    Tensor u_won = cast(equal(updates, gather_nd_or_zero(op, out, indices)), g.dtype());
    Tensor winners = x_won + scatter(op, "reduce_sum", zeros_like(x), indices, u_won);
    gx = g * x_won / winners;
    gu = gather_nd_or_zero(op, g / winners, indices) * u_won;
  } else if (combiner == "reduce_prod") {
    // TensorFlow's product rule without division by zero: with two or more zeros among an
    // element's factors every gradient is 0; with one, that factor's is the others' product.
    Tensor x_zero = equal(x, zeros_like(x)), u_zero = equal(updates, zeros_like(updates));
    Tensor x_safe = where(x_zero, ones_like(x), x),
           u_safe = where(u_zero, ones_like(updates), updates);
    Tensor zeros = cast(x_zero, g.dtype()) +
                   scatter(op, "reduce_sum", zeros_like(x), indices, cast(u_zero, g.dtype()));
    Tensor nonzero_product = scatter(op, "reduce_prod", x_safe, indices, u_safe);
    Tensor gz = where(greater(zeros, scalar_like(zeros, 1)), zeros_like(g), g);
    gx = gz * where(x_zero, nonzero_product, out / x_safe);
    gu = gather_nd_or_zero(op, gz, indices) * where(u_zero,
                                                    gather_nd_or_zero(op, nonzero_product, indices),
                                                    gather_nd_or_zero(op, out, indices) / u_safe);
  } else {
    throw UnimplementedError(op + ": no gradient for a scatter by " + combiner);
  }
  return {gx, Tensor(), gu};
}

// params' rows at int64 `rows` (valid), differentiated by a scatter into zeros (linear; the
// gather primitive's own gradient is a dense one-hot contraction).
Tensor gather_rows(const std::string& op, const Tensor& params, const Tensor& rows) {
  return custom_gradient_call(
      {params}, [&] { return gather(params, rows, 0); },
      [op, params, rows](const Tensor& g) {
        return std::vector<Tensor>{
            scatter(op, "reduce_sum", zeros_like(params), expand_dims(rows, -1), g)};
      });
}

Tensor tensor_scatter(const std::string& op, std::string_view combiner, const Tensor& tensor,
                      const Tensor& indices, const Tensor& updates) {
  validate(op, combiner, tensor, indices, updates);
  check_index_tuples(op, indices, tensor);
  return scatter(op, combiner, tensor, indices, updates);
}

}  // namespace

Tensor detail::scatter(const std::string& op, std::string_view combiner, const Tensor& x,
                       const Tensor& indices, const Tensor& updates) {
  validate(op, combiner, x, indices, updates);
  const int64_t depth = depth_of(indices);
  Tensor out = run_primitive<rt::ScatterKernel>(
      {op, "scatter", ops::Primitive::scatter},
      [&] {
        return std::vector<compiler::NamedAttr>{{"combiner", std::string(combiner)}};
      },
      x.dtype(), x.shape(),
      [&](rt::ScatterKernel kernel, const Tensor& o, const Tensor& xin, const Tensor& idx,
          const Tensor& upd) {
        rt::ScatterPlan plan{1, {}, 1, indices.dtype() == int64, std::nullopt};
        for (int64_t d : batch_dims(indices)) plan.rows *= d;
        for (int64_t d = 0; d < x.ndim(); ++d)
          if (d < depth)
            plan.dims.push_back(x.shape()[d]);
          else
            plan.slice *= x.shape()[d];
        if (combiner != "update") plan.combiner = ops::find_reduce_op(combiner);
        kernel(raw(xin), raw(idx), raw(upd), raw_mut(o), plan);
      },
      x, indices, updates);
  if (core::kFloat.contains(x.dtype()) && should_record({&x, &updates}))
    record({x, indices, updates}, out,
           [op, combiner = std::string(combiner), x, indices, updates, out](const Tensor& g) {
             return scatter_gradient(op, combiner, x, indices, updates, out, g);
           });
  return out;
}

void detail::check_index_tuples(const std::string& op, const Tensor& indices, const Tensor& like) {
  const int64_t depth = depth_of(indices);
  if (depth == 0) return;
  auto* trace = TraceContext::current();
  bool known = true;
  for (int64_t d = 0; d < depth; ++d) known &= like.shape()[d] != kUnknownDim;
  if (trace && (indices.is_symbolic() || !known)) {  // checked once the compiled code has run
    Tensor limits = leading_sizes(like, depth, indices.dtype());
    Tensor bad =
        logical_or(less(indices, zeros({}, indices.dtype())), greater_equal(indices, limits));
    trace->emit_effect(
        "fail_if", {reduce_any(bad)},
        {{"message", op + ": an index is out of range for shape " + like.shape().to_string()}});
    return;
  }
  const std::vector<int64_t> v = host_int64(indices);
  for (size_t r = 0; r * static_cast<size_t>(depth) < v.size(); ++r) {
    std::span<const int64_t> tuple(v.data() + r * static_cast<size_t>(depth),
                                   static_cast<size_t>(depth));
    for (int64_t k = 0; k < depth; ++k)
      if (tuple[static_cast<size_t>(k)] < 0 || tuple[static_cast<size_t>(k)] >= like.shape()[k]) {
        std::string s;
        for (int64_t i : tuple) s += (s.empty() ? "" : ", ") + std::to_string(i);
        throw InvalidArgumentError(op + ": indices[" + std::to_string(r) + "] = [" + s +
                                   "] does not index into shape " + like.shape().to_string());
      }
  }
}

Tensor detail::filled(const TensorShape& shape, double value, DType dtype,
                      const std::vector<Tensor>& like) {
  // A scalar broadcast: a graph op while tracing (no captured buffer of the whole shape).
  return detail::broadcast_to(cast(fill({}, value, float64), dtype), shape, like);
}

Tensor detail::gather_nd_or_zero(const std::string& op, const Tensor& t, const Tensor& indices) {
  const int64_t depth = depth_of(indices);
  std::vector<int64_t> batch = batch_dims(indices);
  if (depth == 0) {  // every tuple addresses the whole of t
    std::vector<int64_t> shape = batch;
    shape.insert(shape.end(), t.shape().dims().begin(), t.shape().dims().end());
    Tensor front = t;
    for (size_t i = 0; i < batch.size(); ++i) front = expand_dims(front, 0);
    return broadcast_to(front, TensorShape(shape));
  }
  for (int64_t d = 0; d < depth; ++d) require_known_dim(op, t, d, "the indexed dimension");
  std::vector<int64_t> rest(t.shape().dims().begin() + depth, t.shape().dims().end());
  // t's rows flattened over the first `depth` dims (no overflow: t's elements fit int64, and an
  // empty t returns here).
  int64_t rows = 1;
  const bool empty = std::ranges::find(t.shape().dims(), 0) != t.shape().dims().end();
  for (int64_t d = 0; d < depth && !empty; ++d) rows *= t.shape()[d];
  if (empty) {  // nothing to read: every tuple is outside, or its slice empty
    std::vector<int64_t> shape = batch;
    shape.insert(shape.end(), rest.begin(), rest.end());
    return zeros(TensorShape(shape), t.dtype());
  }
  Tensor idx = cast(indices, int64);
  Tensor limits = leading_sizes(t, depth, int64);
  Tensor inside =
      reduce_all(logical_and(greater_equal(idx, zeros({}, int64)), less(idx, limits)), {-1});
  Tensor clamped = minimum(maximum(idx, zeros({}, int64)), limits - int64_t{1});
  // The row of t flattened over its first `depth` dims.
  auto component = [&](int64_t d) {
    std::vector<int64_t> begin(batch.size() + 1, 0), size(batch.size() + 1, -1);
    begin.back() = d, size.back() = 1;
    return squeeze(slice(clamped, begin, size), {-1});
  };
  Tensor linear = depth == 1 ? squeeze(clamped, {-1}) : component(0);
  for (int64_t d = 1; d < depth; ++d) linear = linear * t.shape()[d] + component(d);
  Tensor flat = t;
  if (depth > 1) {
    std::vector<int64_t> shape = {rows};
    shape.insert(shape.end(), rest.begin(), rest.end());
    flat = reshape(t, shape);
  }
  Tensor out = gather_rows(op, flat, linear);
  for (size_t i = 0; i < rest.size(); ++i) inside = expand_dims(inside, -1);
  return where(inside, out, zeros_like(out));
}

Tensor tensor_scatter_nd_update(const Tensor& tensor, const Tensor& indices,
                                const Tensor& updates) {
  return tensor_scatter("tensor_scatter_nd_update", "update", tensor, indices, updates);
}
Tensor tensor_scatter_nd_add(const Tensor& tensor, const Tensor& indices, const Tensor& updates) {
  return tensor_scatter("tensor_scatter_nd_add", "reduce_sum", tensor, indices, updates);
}
Tensor tensor_scatter_nd_sub(const Tensor& tensor, const Tensor& indices, const Tensor& updates) {
  const std::string op = "tensor_scatter_nd_sub";
  validate(op, "reduce_sum", tensor, indices, updates);
  check_dtype(op, updates.dtype(), core::kSigned);
  return tensor_scatter(op, "reduce_sum", tensor, indices, negative(updates));
}
Tensor tensor_scatter_nd_max(const Tensor& tensor, const Tensor& indices, const Tensor& updates) {
  return tensor_scatter("tensor_scatter_nd_max", "reduce_max", tensor, indices, updates);
}
Tensor tensor_scatter_nd_min(const Tensor& tensor, const Tensor& indices, const Tensor& updates) {
  return tensor_scatter("tensor_scatter_nd_min", "reduce_min", tensor, indices, updates);
}

Tensor scatter_nd(const Tensor& indices, const Tensor& updates, const TensorShape& shape) {
  const std::string op = "scatter_nd";
  checked(updates, op, "updates");
  if (std::string why = core::validate_shape(shape); !why.empty())
    throw InvalidArgumentError(op + ": shape " + shape.to_string() + ": " + why);
  return tensor_scatter(op, "reduce_sum", filled(shape, 0, updates.dtype(), {}), indices, updates);
}

Tensor gather_nd(const Tensor& params, const Tensor& indices) {
  const std::string op = "gather_nd";
  checked(params, op, "params");
  checked(indices, op, "indices");
  check_dtype(op, indices.dtype(), core::DTypeSet{int32, int64});
  if (indices.ndim() < 1 || depth_of(indices) == kUnknownDim || depth_of(indices) > params.ndim())
    throw InvalidArgumentError(op + ": indices " + indices.shape().to_string() +
                               " must have a known last dim of at most the rank of params " +
                               params.shape().to_string());
  check_index_tuples(op, indices, params);
  return gather_nd_or_zero(op, params, indices);
}

}  // namespace tf
