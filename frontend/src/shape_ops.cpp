// Shape ops: reshape (and expand_dims, squeeze on top of it), transpose, concat (and stack,
// unstack), shape, rank. Eager reshapes share the input's buffer: buffers are immutable.
#include <algorithm>
#include <limits>
#include <span>

#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/runtime_shapes.h"
#include "frontend/src/scatter.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {

// The size of x's dims where `dims` keeps them (1 elsewhere), counted by the graph: an int32
// scalar known only at the call.
Tensor counted(const Tensor& x, std::vector<int64_t> dims);

// unstack and split return one tensor per part: past this many, the loop alone would run for
// hours (a {2^62, 0} tensor has 2^62 empty rows), so such a call is refused.
constexpr int64_t kMaxParts = int64_t{1} << 24;
void check_part_count(std::string_view op, int64_t parts) {
  if (parts > kMaxParts)
    throw InvalidArgumentError(std::string(op) + ": " + std::to_string(parts) +
                               " results is more than the " + std::to_string(kMaxParts) +
                               " one call may return");
}

int64_t normalize_axis(std::string_view op, int64_t axis, int64_t rank) {
  auto norm = core::normalize_axes({axis}, rank);
  if (!norm.error.empty()) throw InvalidArgumentError(std::string(op) + ": " + norm.error);
  return norm.axes[0];
}

// An eager reshape: a new handle over the same buffer.
Tensor view(const Tensor& x, TensorShape shape) {
  auto impl = std::make_shared<TensorImpl>(*x.impl());
  impl->shape = std::move(shape);
  return Tensor(std::move(impl));
}

}  // namespace

namespace {
Tensor reshape_forward(const Tensor& x, const std::vector<int64_t>& shape) {
  checked(x, "reshape", "x");
  auto r = core::reshape_shape(x.shape(), shape);
  if (!r.ok()) {
    const bool traced_unknown = TraceContext::current() && !x.shape().is_fully_defined();
    throw InvalidArgumentError(
        "reshape: " + r.error +
        (traced_unknown ? " (inside this tf::function an unknown dim reads -1, tf::None, in "
                          "x.shape(): arithmetic on it gives no size; pass -1 for the one dim "
                          "to infer)"
                        : ""));
  }
  if (r.shape == x.shape()) return x;
  if (auto* trace = TraceContext::current()) {
    Tensor z = trace->emit("reshape", {x}, {}, x.dtype(), r.shape);
    if (x.ndim() <= 1 && r.shape.rank() <= 1) attach_shape_facts(z, shape_facts(x));
    return z;
  }
  return view(x, r.shape);
}
}  // namespace

Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape) {
  Tensor z = reshape_forward(x, shape);
  if (z.impl() != x.impl() && should_record({&x}))
    record({x}, z, [x](const Tensor& g) {
      // Back to x's traced shape, unless it has several unknown dims other than 1s added or
      // removed: then to its run-time shape.
      const auto& dims = x.shape().dims();
      if (std::count(dims.begin(), dims.end(), kUnknownDim) > 1 &&
          !core::unit_dim_reshape(g.shape(), x.shape()))
        return std::vector<Tensor>{detail::reshape_to(g, tf::shape(x))};
      return std::vector<Tensor>{reshape(g, dims)};
    });
  return z;
}

Tensor expand_dims(const Tensor& x, int64_t axis) {
  checked(x, "expand_dims", "x");
  int64_t a = normalize_axis("expand_dims", axis, x.ndim() + 1);
  std::vector<int64_t> dims = x.shape().dims();
  dims.insert(dims.begin() + a, 1);
  return reshape(x, dims);
}

Tensor squeeze(const Tensor& x, const std::vector<int64_t>& axes) {
  checked(x, "squeeze", "x");
  // TensorFlow's squeeze accepts an axis named twice (reductions do not).
  std::vector<int64_t> unique = axes;
  for (auto& a : unique)
    if (a < 0 && a >= -x.ndim()) a += x.ndim();
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  auto norm = core::normalize_axes(unique, x.ndim());
  if (!norm.error.empty()) throw InvalidArgumentError("squeeze: " + norm.error);
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < x.ndim(); ++i) {
    bool listed = std::find(norm.axes.begin(), norm.axes.end(), i) != norm.axes.end();
    // An unknown dim is squeezed only when named (the reshape checks it is 1 at the call):
    // squeezing "every 1" would give a rank known only at the call.
    if (x.shape()[i] == kUnknownDim) {
      if (axes.empty())
        throw InvalidArgumentError("squeeze: dimension " + std::to_string(i) + " of " +
                                   x.shape().to_string() +
                                   " is unknown while tracing; name the axes to squeeze");
      if (listed) {  // checked at the call: a reshape cannot tell when x has no elements
        std::vector<int64_t> only(static_cast<size_t>(x.ndim()), 1);
        only[static_cast<size_t>(i)] = kUnknownDim;
        TraceContext::current()->emit_effect(
            "fail_if", {not_equal(counted(x, only), constant(1))},
            {{"message", "squeeze: axis " + std::to_string(i) + " of " + x.shape().to_string() +
                             " is not 1 at this call"}});
        continue;
      }
    }
    if (listed && x.shape()[i] != 1)
      throw InvalidArgumentError("squeeze: axis " + std::to_string(i) + " of shape " +
                                 x.shape().to_string() + " has size " +
                                 std::to_string(x.shape()[i]) + ", not 1");
    if (x.shape()[i] == 1 && (axes.empty() || listed)) continue;
    dims.push_back(x.shape()[i]);
  }
  return reshape(x, dims);
}

namespace {
Tensor transpose_forward(const Tensor& x, const std::vector<int64_t>& perm) {
  checked(x, "transpose", "x");
  auto r = core::transpose_shape(x.shape(), perm);
  if (!r.error.empty()) throw InvalidArgumentError("transpose: " + r.error);
  bool identity = true;
  for (size_t i = 0; i < r.perm.size(); ++i)
    identity = identity && r.perm[i] == static_cast<int64_t>(i);
  if (identity) return x;
  if (auto* trace = TraceContext::current())
    return trace->emit("transpose", {x}, {{"perm", r.perm}}, x.dtype(), r.shape);
  if (x.dtype() == string)
    throw UnimplementedError("transpose: string tensors are not supported yet");
  auto [device, copy] =
      place<rt::StridedCopyKernel>("transpose", ops::Primitive::strided_copy, x.dtype());
  Tensor out = detail::empty(x.dtype(), r.shape, device);
  if (out.num_elements() == 0) return out;
  // Read the input through permuted strides, write densely.
  std::vector<int64_t> in_strides(static_cast<size_t>(x.ndim()));
  for (int64_t i = x.ndim() - 1, s = 1; i >= 0; --i) {
    in_strides[static_cast<size_t>(i)] = s;
    s *= x.shape()[i];
  }
  core::ElementwisePlan plan;
  plan.dims = r.shape.dims();
  for (int64_t p : r.perm) plan.strides[0].push_back(in_strides[static_cast<size_t>(p)]);
  copy(raw(to_device(x, device)), raw_mut(out), dtype_size(x.dtype()), plan);
  return out;
}
}  // namespace

Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm) {
  Tensor z = transpose_forward(x, perm);
  if (z.impl() != x.impl() && should_record({&x})) {
    auto r = core::transpose_shape(x.shape(), perm);
    std::vector<int64_t> inverse(r.perm.size());
    for (size_t i = 0; i < r.perm.size(); ++i)
      inverse[static_cast<size_t>(r.perm[i])] = static_cast<int64_t>(i);
    record({x}, z,
           [inverse](const Tensor& g) { return std::vector<Tensor>{transpose(g, inverse)}; });
  }
  return z;
}

namespace {
Tensor concat_forward(const std::vector<Tensor>& values, int64_t axis) {
  if (values.empty()) throw InvalidArgumentError("concat: needs at least one tensor");
  std::vector<TensorShape> shapes;
  for (size_t i = 0; i < values.size(); ++i) {
    checked(values[i], "concat", "values");
    check_same_dtype("concat", values[0], values[i]);
    shapes.push_back(values[i].shape());
  }
  if (values[0].ndim() == 0)
    throw InvalidArgumentError("concat: cannot concatenate scalars (use stack)");
  int64_t a = normalize_axis("concat", axis, values[0].ndim());
  auto r = core::concat_shape(shapes, a);
  if (!r.ok()) throw InvalidArgumentError("concat: " + r.error);
  DType dtype = values[0].dtype();
  if (values.size() == 1) return values[0];
  if (auto* trace = TraceContext::current()) {
    Tensor z = trace->emit("concat", values, {{"axis", a}}, dtype, r.shape);
    std::optional<std::vector<ShapeFact>> facts(std::in_place);  // of a shape being built
    for (const Tensor& v : values) {
      auto part = v.ndim() == 1 ? shape_facts(v) : std::nullopt;
      if (!part) {
        facts.reset();
        break;
      }
      facts->insert(facts->end(), part->begin(), part->end());
    }
    attach_shape_facts(z, std::move(facts));
    return z;
  }
  if (dtype == string) throw UnimplementedError("concat: string tensors are not supported yet");
  auto [device, concat] = place<rt::ConcatKernel>("concat", ops::Primitive::concat, dtype);
  Tensor out = detail::empty(dtype, r.shape, device);
  int64_t outer = 1;
  for (int64_t d = 0; d < a; ++d) outer *= r.shape[d];
  std::vector<Tensor> placed;
  std::vector<const void*> inputs;
  std::vector<int64_t> slab_bytes;
  for (const Tensor& v : values) {
    inputs.push_back(raw(placed.emplace_back(to_device(v, device))));
    slab_bytes.push_back(
        outer == 0 ? 0 : v.num_elements() / outer * static_cast<int64_t>(dtype_size(dtype)));
  }
  if (out.num_elements() > 0)
    concat(inputs.data(), slab_bytes.data(), inputs.size(), outer, raw_mut(out));
  return out;
}
}  // namespace

namespace {
// Piece `index` of x cut along `axis` at the sizes `parts` have there (concat's inverse), where
// those sizes are known only at the call: the parts lend them (tfjit.unconcat).
Tensor unconcat(const Tensor& x, const std::vector<Tensor>& parts, int64_t axis, size_t index) {
  std::vector<TensorShape> shapes;
  for (const Tensor& p : parts) shapes.push_back(p.shape());
  auto r = core::unconcat_shape(x.shape(), shapes, axis, static_cast<int64_t>(index));
  if (!r.ok()) throw InvalidArgumentError("unconcat: " + r.error);
  auto* trace = TraceContext::current();
  if (!trace) throw InternalError("unconcat: a run-time size outside a tf::function");
  std::vector<Tensor> operands{x};
  operands.insert(operands.end(), parts.begin(), parts.end());
  Tensor z =
      trace->emit("unconcat", operands, {{"axis", axis}, {"index", static_cast<int64_t>(index)}},
                  x.dtype(), r.shape);
  if (should_record({&x}))
    record({x}, z, [parts, axis, index](const Tensor& g) {
      std::vector<Tensor> pieces;
      for (size_t j = 0; j < parts.size(); ++j)
        pieces.push_back(j == index ? g : zeros_like(parts[j]));
      return std::vector<Tensor>{concat(pieces, axis)};
    });
  return z;
}
}  // namespace

Tensor concat(const std::vector<Tensor>& values, int64_t axis) {
  Tensor z = concat_forward(values, axis);
  if (values.size() > 1 && should_record(values)) {
    int64_t a = axis < 0 ? axis + values[0].ndim() : axis;
    std::vector<int64_t> sizes;
    for (const Tensor& v : values) sizes.push_back(v.shape()[a]);
    const bool known =
        std::none_of(sizes.begin(), sizes.end() - 1, [](int64_t n) { return n == kUnknownDim; });
    if (known)  // split's last part may be unknown: the rest
      record(values, z, [sizes, a](const Tensor& g) { return split(g, sizes, a); });
    else
      record(values, z, [values, a](const Tensor& g) {
        std::vector<Tensor> grads;
        for (size_t i = 0; i < values.size(); ++i) grads.push_back(unconcat(g, values, a, i));
        return grads;
      });
  }
  return z;
}

Tensor stack(const std::vector<Tensor>& values, int64_t axis) {
  if (values.empty()) throw InvalidArgumentError("stack: needs at least one tensor");
  std::vector<Tensor> expanded;
  for (const Tensor& v : values) {
    checked(v, "stack", "values");
    if (v.shape() != values[0].shape())
      throw InvalidArgumentError("stack: shapes " + values[0].shape().to_string() + " and " +
                                 v.shape().to_string() + " differ");
    expanded.push_back(expand_dims(v, normalize_axis("stack", axis, v.ndim() + 1)));
  }
  return concat(expanded, axis < 0 ? axis + values[0].ndim() + 1 : axis);
}

std::vector<Tensor> unstack(const Tensor& x, int64_t axis) {
  checked(x, "unstack", "x");
  if (x.ndim() == 0) throw InvalidArgumentError("unstack: cannot unstack a scalar");
  int64_t a = normalize_axis("unstack", axis, x.ndim());
  if (x.shape()[a] == kUnknownDim)
    throw InvalidArgumentError("unstack: dimension " + std::to_string(a) + " of " +
                               x.shape().to_string() +
                               " is unknown while tracing, so the number of results is too");
  check_part_count("unstack", x.shape()[a]);
  std::vector<int64_t> start(static_cast<size_t>(x.ndim()), 0), size = x.shape().dims(),
                                                                step(start.size(), 1);
  size[static_cast<size_t>(a)] = 1;
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.shape()[a]; ++i) {
    start[static_cast<size_t>(a)] = i;
    out.push_back(squeeze(detail::strided_slice(x, start, size, step), {a}));
  }
  return out;
}

Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size) {
  checked(x, "slice", "x");
  if (static_cast<int64_t>(begin.size()) != x.ndim() ||
      static_cast<int64_t>(size.size()) != x.ndim())
    throw InvalidArgumentError("slice: begin and size need " + std::to_string(x.ndim()) +
                               " entries for shape " + x.shape().to_string() + ", got " +
                               std::to_string(begin.size()) + " and " +
                               std::to_string(size.size()));
  std::vector<int64_t> sizes = size, step(begin.size(), 1);
  for (int64_t d = 0; d < x.ndim(); ++d) {
    int64_t dim = x.shape()[d], b = begin[static_cast<size_t>(d)], n = size[static_cast<size_t>(d)];
    if (dim == kUnknownDim) {  // n elements (-1: the rest) from b, checked at the call
      if (b < 0 || n < -1) require_known_dim("slice", x, d);
      continue;
    }
    if (n == -1 && b >= 0 && b <= dim) n = sizes[static_cast<size_t>(d)] = dim - b;
    if (b < 0 || n < 0 || b > dim || n > dim - b)
      throw InvalidArgumentError("slice: begin " + std::to_string(b) + " and size " +
                                 std::to_string(n) + " are out of range for dimension " +
                                 std::to_string(d) + " of shape " + x.shape().to_string());
  }
  return detail::strided_slice(x, begin, sizes, step);
}

Tensor reverse(const Tensor& x, const std::vector<int64_t>& axes) {
  checked(x, "reverse", "x");
  auto norm = core::normalize_axes(axes, x.ndim());
  if (!norm.error.empty()) throw InvalidArgumentError("reverse: " + norm.error);
  std::vector<int64_t> start(static_cast<size_t>(x.ndim()), 0), step(start.size(), 1);
  for (int64_t a : norm.axes) {  // an unknown axis: start -1, the last element at the call
    start[static_cast<size_t>(a)] =
        x.shape()[a] == kUnknownDim ? -1 : std::max<int64_t>(x.shape()[a] - 1, 0);
    step[static_cast<size_t>(a)] = -1;
  }
  return detail::strided_slice(x, start, x.shape().dims(), step);
}

namespace detail {

namespace {
// Zeros around g along dim d, whose size in x is known only at the call: `before` of them, g,
// then (if `fill_rest`) the rest of x's dim.
Tensor pad_to_unknown_dim(const Tensor& g, int64_t d, int64_t before, bool fill_rest,
                          const Tensor& x) {
  auto zero_block = [&](int64_t n) {  // g's dims, n along d (unknown: x's, at the call)
    std::vector<int64_t> dims = g.shape().dims();
    dims[static_cast<size_t>(d)] = n;
    return broadcast_to(zeros({}, g.dtype()), TensorShape(dims), {g, x});
  };
  std::vector<Tensor> parts;
  if (before > 0) parts.push_back(zero_block(before));
  parts.push_back(g);
  if (fill_rest) {
    Tensor all = zero_block(kUnknownDim);
    std::vector<int64_t> begin(static_cast<size_t>(g.ndim()), 0), size = all.shape().dims();
    begin[static_cast<size_t>(d)] = before + g.shape()[d];
    size[static_cast<size_t>(d)] = -1;
    parts.push_back(slice(all, begin, size));
  }
  return concat(parts, d);
}

Tensor strided_slice_forward(const Tensor& x, const std::vector<int64_t>& start,
                             const std::vector<int64_t>& size, const std::vector<int64_t>& step) {
  int64_t stepped_rests = 0;                  // the gradient scatters one such dim
  for (size_t d = 0; d < size.size(); ++d) {  // an unknown dim: bounds checked at the call
    const bool whole_reversed = size[d] == -1 && step[d] == -1 && start[d] == -1;
    const bool unknown = x.shape()[static_cast<int64_t>(d)] == kUnknownDim;
    stepped_rests += unknown && size[d] == -1 && step[d] > 1;
    if (unknown && !whole_reversed &&
        (start[d] < 0 || (size[d] == -1 ? step[d] <= 0 : size[d] < 0 || step[d] <= 0) ||
         (size[d] == -1 && step[d] > 1 && stepped_rests > 1)))
      require_known_dim("slice", x, static_cast<int64_t>(d));
  }
  TensorShape shape(size);
  bool whole = shape == x.shape();
  for (size_t d = 0; d < step.size() && whole; ++d) whole = start[d] == 0 && step[d] == 1;
  if (whole) return x;
  if (auto* trace = TraceContext::current()) {
    Tensor z = trace->emit("slice", {x}, {{"start", start}, {"size", size}, {"stride", step}},
                           x.dtype(), shape);
    if (auto facts = x.ndim() == 1 && size[0] >= 0 ? shape_facts(x) : std::nullopt) {
      std::vector<ShapeFact> picked;  // the elements of a shape tensor taken
      for (int64_t k = 0; k < size[0]; ++k)
        picked.push_back((*facts)[static_cast<size_t>(start[0] + k * step[0])]);
      attach_shape_facts(z, std::move(picked));
    }
    return z;
  }
  if (x.dtype() == string) throw UnimplementedError("slice: string tensors are not supported yet");
  auto [device, copy] =
      place<rt::StridedCopyKernel>("slice", ops::Primitive::strided_copy, x.dtype());
  Tensor out = detail::empty(x.dtype(), shape, device);
  if (out.num_elements() == 0) return out;
  core::ElementwisePlan plan;
  plan.dims = shape.dims();
  int64_t offset = 0;
  for (int64_t i = x.ndim() - 1, s = 1; i >= 0; --i) {
    offset += start[static_cast<size_t>(i)] * s;
    plan.strides[0].insert(plan.strides[0].begin(), s * step[static_cast<size_t>(i)]);
    s *= x.shape()[i];
  }
  if (plan.dims.empty()) {  // a rank-0 copy
    plan.dims = {1};
    plan.strides[0] = {0};
  }
  Tensor input = to_device(x, device);
  auto* base =
      static_cast<const char*>(raw(input)) + offset * static_cast<int64_t>(dtype_size(x.dtype()));
  copy(base, raw_mut(out), dtype_size(x.dtype()), plan);
  return out;
}
}  // namespace

// The gradient of a strided slice: g scattered back into zeros of x's shape, built from public
// ops so it is itself differentiable: per dimension, reverse (negative step), interleave zeros
// (|step| > 1), then pad to the dimension. Where `shape` has unknown dims (while tracing), `x`
// lends their sizes.
Tensor strided_slice_grad(Tensor g, const TensorShape& shape, const std::vector<int64_t>& start,
                          const std::vector<int64_t>& size, const std::vector<int64_t>& step,
                          const Tensor& x) {
  if (g.num_elements() == 0 && shape.is_fully_defined()) return zeros(shape, g.dtype());
  int64_t stepped_rest = -1;  // a dim read every s-th element to its unknown end (one at most)
  for (int64_t d = 0; d < g.ndim(); ++d) {
    int64_t n = size[static_cast<size_t>(d)], s = step[static_cast<size_t>(d)],
            first = start[static_cast<size_t>(d)];
    if (n == -1 && s > 1) {
      stepped_rest = d;
      continue;
    }
    if (s < 0) {
      g = reverse(g, {d});
      first = n == -1 ? 0 : first + s * (n - 1);  // n -1: the whole dim was reversed
      s = -s;
    }
    if (s > 1) {
      std::vector<int64_t> dims = g.shape().dims(), expanded = dims;
      expanded.insert(expanded.begin() + d + 1, 1);
      std::vector<std::pair<int64_t, int64_t>> pads(expanded.size(), {0, 0});
      pads[static_cast<size_t>(d + 1)] = {0, s - 1};
      Tensor spread = pad(reshape(g, expanded), pads);
      dims[static_cast<size_t>(d)] = n * s;
      std::vector<int64_t> begin(dims.size(), 0), keep = dims;
      keep[static_cast<size_t>(d)] = (n - 1) * s + 1;
      g = slice(reshape(spread, dims), begin, keep);
    }
    if (shape[d] == kUnknownDim) {
      g = pad_to_unknown_dim(g, d, first, n != -1, x);
      continue;
    }
    std::vector<std::pair<int64_t, int64_t>> pads(static_cast<size_t>(g.ndim()), {0, 0});
    pads[static_cast<size_t>(d)] = {first, shape[d] - first - g.shape()[d]};
    g = pad(g, pads);
  }
  if (stepped_rest < 0) return g;
  // g's rows, as many as the call had, added into zeros of x's shape at rows first + s * i:
  // with that dim first, a scatter whose indices count along g's rows (its other dims are x's
  // now).
  const int64_t d = stepped_rest, s = step[static_cast<size_t>(d)];
  std::vector<int64_t> perm{d};
  for (int64_t e = 0; e < g.ndim(); ++e)
    if (e != d) perm.push_back(e);
  Tensor rows = transpose(g, perm);
  std::vector<int64_t> other(static_cast<size_t>(rows.ndim() - 1));
  for (size_t e = 0; e < other.size(); ++e) other[e] = static_cast<int64_t>(e) + 1;
  Tensor ones = cast(reduce_sum(zeros_like(rows), other), int64) + int64_t{1};  // one per row
  Tensor at = math::cumsum(ones, 0, /*exclusive=*/true) * s + start[static_cast<size_t>(d)];
  Tensor spread = tensor_scatter_nd_add(transpose(zeros_like(x), perm), expand_dims(at, -1), rows);
  std::vector<int64_t> inverse(perm.size());
  for (size_t e = 0; e < perm.size(); ++e)
    inverse[static_cast<size_t>(perm[e])] = static_cast<int64_t>(e);
  return transpose(spread, inverse);
}

Tensor strided_slice(const Tensor& x, const std::vector<int64_t>& start,
                     const std::vector<int64_t>& size, std::vector<int64_t> step) {
  // Where at most one element is taken the step is irrelevant: 1, so that a step near +-2^63
  // never reaches stride products, MLIR (whose dynamic marker is -2^63) or the gradient's
  // interleaving.
  for (size_t d = 0; d < step.size(); ++d)
    if (size[d] >= 0 && size[d] <= 1) step[d] = 1;
  Tensor z = strided_slice_forward(x, start, size, step);
  if (z.impl() != x.impl() && should_record({&x}))
    record({x}, z,
           [shape = x.shape(), start, size, step,
            // held only for its unknown dims: an eager x's buffer is not kept alive
            like = x.shape().is_fully_defined() ? Tensor() : x](const Tensor& g) {
             return std::vector<Tensor>{strided_slice_grad(g, shape, start, size, step, like)};
           });
  return z;
}

}  // namespace detail

std::vector<Tensor> split(const Tensor& x, int64_t num, int64_t axis) {
  checked(x, "split", "x");
  int64_t a = normalize_axis("split", axis, x.ndim());
  if (x.shape()[a] == kUnknownDim && num > 0) {
    // Known only at the call: x viewed as (..., num, dim / num, ...) (the reshape checks that
    // num divides the dim), then one part per index along the new axis.
    check_part_count("split", num);
    Tensor dims = shape(x);
    Tensor grouped = detail::reshape_to(
        x, concat({dims(tf::slice(0, a)), constant({static_cast<int32_t>(num), -1}),
                   dims(tf::slice(a + 1, std::nullopt))},
                  0));
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < num; ++i) {
      std::vector<int64_t> begin(static_cast<size_t>(grouped.ndim()), 0),
          size = grouped.shape().dims(), step(begin.size(), 1);
      begin[static_cast<size_t>(a)] = i, size[static_cast<size_t>(a)] = 1;
      parts.push_back(squeeze(detail::strided_slice(grouped, begin, size, step), {a}));
    }
    return parts;
  }
  if (num <= 0 || x.shape()[a] % num != 0)
    throw InvalidArgumentError("split: dimension " + std::to_string(a) + " of shape " +
                               x.shape().to_string() + " cannot be split into " +
                               std::to_string(num) + " equal parts");
  check_part_count("split", num);
  return split(x, std::vector<int64_t>(static_cast<size_t>(num), x.shape()[a] / num), a);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t axis) {
  checked(x, "split", "x");
  int64_t a = normalize_axis("split", axis, x.ndim()), dim = x.shape()[a], known = 0, unknown = -1;
  // An unknown axis splits only as (k1, ..., kn, -1): the last part takes the rest at the call.
  if (dim == kUnknownDim && (sizes.empty() || sizes.back() != -1))
    require_known_dim("split", x, a, "axis");
  std::vector<int64_t> parts = sizes;
  const auto too_many = [&] {
    return InvalidArgumentError("split: sizes " + TensorShape(sizes).to_string() +
                                " add up to more than dimension " + std::to_string(a) +
                                " of shape " + x.shape().to_string());
  };
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == -1 && unknown < 0)
      unknown = static_cast<int64_t>(i);
    else if (parts[i] < 0)
      throw InvalidArgumentError("split: bad size " + std::to_string(parts[i]));
    else if (__builtin_add_overflow(known, parts[i], &known))
      throw too_many();
  }
  if (dim == kUnknownDim)
    ;  // the -1 stays: slice takes the rest of the dim (and checks it at the call)
  else if (unknown >= 0 && known <= dim)
    parts[static_cast<size_t>(unknown)] = dim - known;
  else if (known != dim || unknown >= 0)
    throw InvalidArgumentError("split: sizes " + TensorShape(sizes).to_string() +
                               " do not add up to dimension " + std::to_string(a) + " of shape " +
                               x.shape().to_string());
  std::vector<int64_t> begin(static_cast<size_t>(x.ndim()), 0), size = x.shape().dims();
  std::vector<Tensor> out;
  for (int64_t p : parts) {
    size[static_cast<size_t>(a)] = p;
    out.push_back(slice(x, begin, size));
    begin[static_cast<size_t>(a)] += p;
  }
  return out;
}

namespace {
// Runs gather on checked int64 indices.
Tensor gather_kernel(const Tensor& params, const Tensor& idx, int64_t a, const TensorShape& shape) {
  const int64_t dim = params.shape()[a];
  // (outer, dim, inner) -> (outer, n, inner): rows of `inner` elements.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < a; ++d) outer *= params.shape()[d];
  for (int64_t d = a + 1; d < params.ndim(); ++d) inner *= params.shape()[d];
  auto [device, kernel] = place<rt::GatherKernel>("gather", ops::Primitive::gather, params.dtype());
  Tensor out = detail::empty(params.dtype(), shape, device);
  if (out.num_elements() > 0)
    kernel(raw(to_device(params, device)), static_cast<const int64_t*>(raw(to_device(idx, device))),
           idx.num_elements(), raw_mut(out), outer, dim,
           static_cast<size_t>(inner) * dtype_size(params.dtype()));
  return out;
}

Tensor gather_forward(const Tensor& params, const Tensor& indices, int64_t axis) {
  checked(params, "gather", "params");
  checked(indices, "gather", "indices");
  check_dtype("gather", indices.dtype(), core::DTypeSet{int32, int64});
  if (params.ndim() == 0) throw InvalidArgumentError("gather: params must have rank >= 1");
  int64_t a = normalize_axis("gather", axis, params.ndim());
  TensorShape shape = core::gather_shape(params.shape(), indices.shape(), a);
  if (params.shape()[a] == 0 && indices.num_elements() != 0)  // unknown dims: maybe not empty
    throw InvalidArgumentError("gather: axis " + std::to_string(a) + " of shape " +
                               params.shape().to_string() + " is empty, so no index is valid");
  const int64_t dim = params.shape()[a];
  auto out_of_range = [&](const std::string& index) {
    return "gather: " + index + " is out of range [0, " +
           (dim == kUnknownDim ? std::string("its size") : std::to_string(dim)) + ") for axis " +
           std::to_string(a) + " of shape " + params.shape().to_string();
  };
  auto* trace = TraceContext::current();
  // Indices known only when the compiled code runs, or an axis whose size is: checked then.
  if (trace && (indices.impl()->trace || dim == kUnknownDim)) {
    Tensor limit = dim == kUnknownDim ? tf::shape(params)(a) : fill({}, dim, int64);
    Tensor bad = logical_or(less(indices, zeros({}, indices.dtype())),
                            greater_equal(indices, cast(limit, indices.dtype())));
    trace->emit_effect("fail_if", {reduce_any(bad)}, {{"message", out_of_range("an index")}});
  } else {
    // Checked on the host (TensorFlow's GPU kernel skips the check and returns zeros; tfjit
    // raises the same error on every device, at the cost of reading the indices back).
    Tensor idx = detail::empty(int64, indices.shape(), rt::Device{});
    cpu_kernels().get<rt::CastKernel>(ops::Primitive::cast, indices.dtype(), int64)(
        to_cpu(indices).data(), raw_mut(idx), indices.num_elements());
    const auto* values = static_cast<const int64_t*>(raw(idx));
    for (int64_t i : std::span(values, static_cast<size_t>(indices.num_elements())))
      if (i < 0 || i >= dim) throw InvalidArgumentError(out_of_range("index " + std::to_string(i)));
    if (!trace) {
      if (params.dtype() == string)
        throw UnimplementedError("gather: string tensors are not supported yet");
      return gather_kernel(params, idx, a, shape);
    }
  }
  return trace->emit("gather", {params, indices}, {{"axis", a}}, params.dtype(), shape);
}

}  // namespace

Tensor gather(const Tensor& params, const Tensor& indices, int64_t axis) {
  Tensor z = gather_forward(params, indices, axis);
  // The gradient adds g back into params' rows at the indices: a scatter (linear in g), with
  // params' axis moved first and g's index dims first.
  if (should_record({&params, &indices}))
    record({params, indices}, z, [params, indices, axis](const Tensor& g) {
      const int64_t a = axis < 0 ? axis + params.ndim() : axis, ni = indices.ndim();
      if (a == 0)
        return std::vector<Tensor>{detail::scatter("gather", "reduce_sum", zeros_like(params),
                                                   expand_dims(indices, -1), g),
                                   Tensor()};
      std::vector<int64_t> to_front = {a}, from_front, g_perm;
      for (int64_t d = 0; d < params.ndim(); ++d)
        if (d != a) to_front.push_back(d);
      for (int64_t d = 0; d < params.ndim(); ++d)
        from_front.push_back(d < a ? d + 1 : d == a ? 0 : d);
      for (int64_t d = a; d < a + ni; ++d) g_perm.push_back(d);
      for (int64_t d = 0; d < a; ++d) g_perm.push_back(d);
      for (int64_t d = a + ni; d < g.ndim(); ++d) g_perm.push_back(d);
      Tensor back = detail::scatter("gather", "reduce_sum", transpose(zeros_like(params), to_front),
                                    expand_dims(indices, -1), transpose(g, g_perm));
      return std::vector<Tensor>{transpose(back, from_front), Tensor()};
    });
  return z;
}

namespace {
// While tracing, an unknown dim is known only at the call: the graph counts it, as the number of
// elements of a broadcast of 1 that has x's size there and 1 elsewhere.
Tensor counted(const Tensor& x, std::vector<int64_t> dims) {
  return reduce_sum(detail::broadcast_to(fill({}, 1, int32), TensorShape(std::move(dims)), {x}));
}
bool traced_with_unknown_dims(const Tensor& x) {
  return TraceContext::current() && !x.shape().is_fully_defined();
}
}  // namespace

Tensor size(const Tensor& t) {
  checked(t, "size", "t");
  if (traced_with_unknown_dims(t)) return counted(t, t.shape().dims());
  int64_t n = t.num_elements();
  if (n > std::numeric_limits<int32_t>::max())
    throw InvalidArgumentError("size: " + std::to_string(n) + " elements do not fit in int32");
  return constant(static_cast<int32_t>(n));
}

namespace {
// A size given as an int32 or int64 tensor of rank `rank`, whose values must be known now.
void check_size_tensor(std::string_view op, const Tensor& t, int64_t rank,
                       const std::string& what) {
  checked(t, op, what);
  if (t.ndim() != rank || (t.dtype() != int32 && t.dtype() != int64))
    throw InvalidArgumentError(std::string(op) + ": a " + what + " tensor must be " +
                               (rank ? "1-D" : "a scalar") + " int32 or int64, got " +
                               std::string(dtype_name(t.dtype())) + " " + t.shape().to_string());
  if (t.is_symbolic())
    throw UnimplementedError(
        std::string(op) + ": the " + what +
        " tensor is computed inside the tf::function, so its values exist only when the "
        "compiled code runs, and a size must be known while tracing; pass tf::shape(y) of a "
        "tensor with static dims as it is, or a list: -1 for one inferred dim, x.shape() "
        "(whose unknown dims read -1) with 1s added or removed");
}
}  // namespace

int64_t detail::scalar_value(std::string_view op, const Tensor& scalar) {
  check_size_tensor(op, scalar, 0, "scalar");
  return scalar.dtype() == int64 ? scalar.item<int64_t>() : scalar.item<int32_t>();
}

std::vector<int64_t> detail::shape_values(std::string_view op, const Tensor& shape) {
  check_size_tensor(op, shape, 1, "shape");
  if (shape.dtype() == int64) return shape.to_vector<int64_t>();
  std::vector<int64_t> out;  // read as it is: an op on it would be traced
  for (int32_t d : shape.to_vector<int32_t>()) out.push_back(d);
  return out;
}

Tensor shape(const Tensor& x) {
  checked(x, "shape", "x");
  if (traced_with_unknown_dims(x)) {
    std::vector<Tensor> dims;
    for (int64_t d = 0; d < x.ndim(); ++d) {
      std::vector<int64_t> one(static_cast<size_t>(x.ndim()), 1);
      one[static_cast<size_t>(d)] = x.shape()[d];
      dims.push_back(x.shape()[d] == kUnknownDim ? counted(x, one)
                                                 : constant(static_cast<int32_t>(x.shape()[d])));
    }
    std::vector<ShapeFact> facts;
    for (int64_t d = 0; d < x.ndim(); ++d)
      facts.push_back(x.shape()[d] == kUnknownDim ? ShapeFact{-1, x.impl(), d}
                                                  : ShapeFact{x.shape()[d], nullptr, -1});
    Tensor z = stack(dims, 0);
    attach_shape_facts(z, std::move(facts));
    return z;
  }
  std::vector<int32_t> dims;
  for (int64_t d : x.shape()) {
    if (d > std::numeric_limits<int32_t>::max())
      throw InvalidArgumentError("shape: dimension " + std::to_string(d) +
                                 " does not fit in int32");
    dims.push_back(static_cast<int32_t>(d));
  }
  return constant(dims);
}

Tensor rank(const Tensor& x) {
  return constant(static_cast<int32_t>(checked(x, "rank", "x").shape.rank()));
}

}  // namespace tf
