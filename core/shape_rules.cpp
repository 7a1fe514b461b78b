#include "core/shape_rules.h"

#include <algorithm>
#include <limits>

namespace tf::core {

namespace {
// Two dims that must agree: equal, or one unknown (assumed equal; checked when the shapes are
// concrete, at the call). The merged dim keeps whatever is known.
bool compatible(int64_t a, int64_t b) { return a == b || a == kUnknownDim || b == kUnknownDim; }
int64_t merged(int64_t a, int64_t b) { return a == kUnknownDim ? b : a; }
}  // namespace

ShapeResult broadcast_shapes(const TensorShape& a, const TensorShape& b) {
  int64_t rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.rank() ? 1 : a[i - (rank - a.rank())];
    int64_t db = i < rank - b.rank() ? 1 : b[i - (rank - b.rank())];
    // 1 broadcasts against anything (even an unknown dim); an unknown dim against n assumes n.
    if (da != db && da != 1 && db != 1 && !compatible(da, db))
      return {{},
              "shapes " + a.to_string() + " and " + b.to_string() +
                  " are incompatible for broadcasting (dimension " + std::to_string(i) + ": " +
                  std::to_string(da) + " vs " + std::to_string(db) + ")"};
    dims[static_cast<size_t>(i)] = da == 1 ? db : db == 1 ? da : merged(da, db);
  }
  return {TensorShape(std::move(dims)), {}};
}

bool broadcastable_to(const TensorShape& from, const TensorShape& to) {
  if (from.rank() > to.rank()) return false;
  for (int64_t i = 0; i < from.rank(); ++i) {
    int64_t d = from[from.rank() - 1 - i];
    if (d != 1 && !compatible(d, to[to.rank() - 1 - i])) return false;
  }
  return true;
}

std::string match_shape(const TensorShape& traced, const TensorShape& actual) {
  bool ok = traced.rank() == actual.rank();
  for (int64_t i = 0; ok && i < traced.rank(); ++i)
    ok = traced[i] == kUnknownDim || traced[i] == actual[i];
  if (ok) return {};
  return "shape " + actual.to_string() + " does not match " + traced.to_string();
}

ShapeResult matmul_shape(const TensorShape& a, const TensorShape& b) {
  bool batched = a.rank() == 3 && b.rank() == 3 && compatible(a[0], b[0]);
  if (!batched && (a.rank() != 2 || b.rank() != 2))
    return {{},
            "expects rank-2 operands or rank-3 with equal batch, got shapes " + a.to_string() +
                " and " + b.to_string()};
  int64_t r = a.rank();
  if (!compatible(a[r - 1], b[r - 2]))
    return {{}, "inner dimensions differ: " + a.to_string() + " x " + b.to_string()};
  return {batched ? TensorShape{merged(a[0], b[0]), a[1], b[2]} : TensorShape{a[0], b[1]}, {}};
}

AxesResult normalize_axes(const std::vector<int64_t>& axes, int64_t rank) {
  AxesResult r;
  for (int64_t axis : axes) {
    if (axis < -rank || axis >= rank)
      return {{},
              "axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
                  std::to_string(rank) + " (valid: [" + std::to_string(-rank) + ", " +
                  std::to_string(rank) + "))"};
    r.axes.push_back(axis < 0 ? axis + rank : axis);
  }
  std::sort(r.axes.begin(), r.axes.end());
  if (auto dup = std::adjacent_find(r.axes.begin(), r.axes.end()); dup != r.axes.end())
    return {{},
            "axis " + std::to_string(*dup) + " appears more than once in " +
                TensorShape(axes).to_string()};  // as TensorFlow, which refuses it
  return r;
}

TensorShape reduce_shape(const TensorShape& in, const std::vector<int64_t>& sorted_axes,
                         bool keepdims) {
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < in.rank(); ++i) {
    bool reduced = std::binary_search(sorted_axes.begin(), sorted_axes.end(), i);
    if (!reduced)
      dims.push_back(in[i]);
    else if (keepdims)
      dims.push_back(1);
  }
  return TensorShape(std::move(dims));
}

ShapeResult reshape_shape(const TensorShape& in, const std::vector<int64_t>& requested) {
  TensorShape req(requested);
  // While tracing, x.shape() with 1s inserted or removed (expand_dims, squeeze, a gradient
  // reshaping back to an input's traced shape): each -1 is the input's unknown dim in its place.
  if (!in.is_fully_defined() && unit_dim_reshape(in, req)) return {req, {}};
  int64_t known = 1, unknown_at = -1;
  for (size_t i = 0; i < requested.size(); ++i) {
    int64_t d = requested[i];
    if (d == -1) {
      if (unknown_at >= 0) {
        return {{}, "only one dimension of " + req.to_string() + " may be -1"};
      }
      unknown_at = static_cast<int64_t>(i);
    } else if (d < 0) {
      return {{}, "dimension " + std::to_string(d) + " in " + req.to_string() + " is negative"};
    } else {
      if (d != 0 && known > std::numeric_limits<int64_t>::max() / d)
        return {{}, "shape " + req.to_string() + " has more elements than fit in int64"};
      known *= d;
    }
  }
  std::vector<int64_t> dims = requested;
  if (!in.is_fully_defined()) {
    // The element count is known only at the call: a -1 stays unknown (it is inferred there, by
    // this same rule on the concrete shape), and a fully given shape is checked there.
    if (unknown_at >= 0 && known == 0)
      return {{},
              "cannot infer the -1 in " + req.to_string() + " for " + in.to_string() +
                  ": the other dimensions hold no elements"};
    return {TensorShape(std::move(dims)), {}};
  }
  int64_t n = in.num_elements();
  if (unknown_at >= 0) {
    if (known == 0 || n % known != 0)
      return {{},
              "cannot reshape " + in.to_string() + " (" + std::to_string(n) + " elements) into " +
                  req.to_string()};
    dims[static_cast<size_t>(unknown_at)] = n / known;
  } else if (known != n) {
    return {{},
            "cannot reshape " + in.to_string() + " (" + std::to_string(n) + " elements) into " +
                req.to_string() + " (" + std::to_string(known) + " elements)"};
  }
  return {TensorShape(std::move(dims)), {}};
}

ShapeResult reshape_like_shape(const TensorShape& in, const TensorShape& out,
                               std::span<const int64_t> like_dims,
                               std::span<const TensorShape> like) {
  if (like_dims.size() != 2 * static_cast<size_t>(out.rank()))
    return {{},
            "like_dims needs an (operand, dim) pair for each of " + out.to_string() + "'s dims"};
  std::vector<int64_t> dims = out.dims();
  int64_t inferred = -1, known = 1;
  bool unknown = !in.is_fully_defined();
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t k = like_dims[2 * i], j = like_dims[2 * i + 1];
    if (k >= 0) {
      if (k >= static_cast<int64_t>(like.size()) || j < 0 ||
          j >= like[static_cast<size_t>(k)].rank())
        return {{},
                "like_dims pair (" + std::to_string(k) + ", " + std::to_string(j) +
                    ") names no operand dim"};
      dims[i] = like[static_cast<size_t>(k)][j];
    } else if (dims[i] == kUnknownDim) {
      if (inferred >= 0) return {{}, "two dims of " + out.to_string() + " to infer"};
      inferred = static_cast<int64_t>(i);
      continue;
    }
    if (dims[i] == kUnknownDim)
      unknown = true;
    else if (__builtin_mul_overflow(known, dims[i], &known))
      return {{},
              "shape " + TensorShape(dims).to_string() + " has more elements than fit in int64"};
  }
  if (unknown) return {TensorShape(std::move(dims)), {}};  // checked at the call
  const int64_t n = in.num_elements();
  if (inferred >= 0) {
    if (known == 0 || n % known != 0)
      return {{},
              "cannot reshape " + in.to_string() + " (" + std::to_string(n) + " elements) into " +
                  TensorShape(dims).to_string() + " with one dim inferred"};
    dims[static_cast<size_t>(inferred)] = n / known;
  } else if (known != n) {
    return {{},
            "cannot reshape " + in.to_string() + " (" + std::to_string(n) + " elements) into " +
                TensorShape(dims).to_string()};
  }
  return {TensorShape(std::move(dims)), {}};
}

std::optional<std::vector<int64_t>> unit_dim_reshape(const TensorShape& in,
                                                     const TensorShape& out) {
  std::vector<int64_t> kept;  // in's dims other than static 1s
  for (int64_t d = 0; d < in.rank(); ++d)
    if (in[d] != 1) kept.push_back(d);
  std::vector<int64_t> source;
  size_t next = 0;
  for (int64_t d = 0; d < out.rank(); ++d) {
    if (out[d] == 1) {
      source.push_back(-1);
      continue;
    }
    if (next == kept.size() || in[kept[next]] != out[d]) return std::nullopt;
    source.push_back(kept[next++]);
  }
  if (next != kept.size()) return std::nullopt;
  return source;
}

PermResult transpose_shape(const TensorShape& in, const std::vector<int64_t>& perm) {
  PermResult r;
  int64_t rank = in.rank();
  r.perm = perm;
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i) r.perm.push_back(i);
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  if (static_cast<int64_t>(r.perm.size()) != rank) {
    r.error = "perm has " + std::to_string(r.perm.size()) + " entries for a tensor of rank " +
              std::to_string(rank);
    return r;
  }
  std::vector<int64_t> dims;
  for (int64_t p : r.perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)]) {
      r.error = "perm " + TensorShape(r.perm).to_string() + " is not a permutation of [0, " +
                std::to_string(rank) + ")";
      return r;
    }
    seen[static_cast<size_t>(p)] = true;
    dims.push_back(in[p]);
  }
  r.shape = TensorShape(std::move(dims));
  return r;
}

ShapeResult concat_shape(const std::vector<TensorShape>& shapes, int64_t axis) {
  if (shapes.empty()) return {{}, "needs at least one tensor"};
  TensorShape out = shapes[0];
  for (size_t i = 1; i < shapes.size(); ++i) {
    const TensorShape& s = shapes[i];
    bool ok = s.rank() == out.rank();
    for (int64_t d = 0; ok && d < s.rank(); ++d) ok = d == axis || compatible(s[d], out[d]);
    if (!ok)
      return {{},
              "shapes " + shapes[0].to_string() + " and " + s.to_string() + " (input " +
                  std::to_string(i) + ") differ outside axis " + std::to_string(axis)};
    for (int64_t d = 0; d < s.rank(); ++d)
      if (d != axis) out[d] = merged(out[d], s[d]);
    if (out[axis] == kUnknownDim || s[axis] == kUnknownDim) {
      out[axis] = kUnknownDim;
    } else if (__builtin_add_overflow(out[axis], s[axis], &out[axis])) {
      return {{}, "the sizes along axis " + std::to_string(axis) + " add up past 2^63"};
    }
  }
  return {out, {}};
}

ShapeResult unconcat_shape(const TensorShape& x, const std::vector<TensorShape>& parts,
                           int64_t axis, int64_t index) {
  if (axis < 0 || axis >= x.rank()) return {{}, "axis " + std::to_string(axis) + " out of range"};
  if (index < 0 || index >= static_cast<int64_t>(parts.size()))
    return {{}, "piece " + std::to_string(index) + " of " + std::to_string(parts.size())};
  int64_t total = 0;
  bool known = x[axis] != kUnknownDim;
  for (const TensorShape& p : parts) {
    if (p.rank() != x.rank())
      return {{}, "part " + p.to_string() + " and " + x.to_string() + " differ in rank"};
    if (p[axis] == kUnknownDim)
      known = false;
    else if (__builtin_add_overflow(total, p[axis], &total))
      return {{}, "the parts' sizes along axis " + std::to_string(axis) + " add up past 2^63"};
  }
  if (known && total != x[axis])
    return {{},
            "the parts' sizes along axis " + std::to_string(axis) + " add up to " +
                std::to_string(total) + ", not to dimension " + std::to_string(axis) + " of " +
                x.to_string()};
  TensorShape out = x;
  out[axis] = parts[static_cast<size_t>(index)][axis];
  return {out, {}};
}

ShapeResult slice_shape(const TensorShape& in, std::span<const int64_t> start,
                        std::span<const int64_t> size, std::span<const int64_t> stride) {
  const auto n = static_cast<size_t>(in.rank());
  if (start.size() != n || size.size() != n || stride.size() != n)
    return {{},
            "needs start, size and stride for each of the " + std::to_string(n) +
                " dimensions of " + in.to_string()};
  std::vector<int64_t> dims(n);
  for (size_t d = 0; d < n; ++d) {
    const int64_t dim = in[static_cast<int64_t>(d)];
    const auto where = [&] {
      return " for dimension " + std::to_string(d) + " of " + in.to_string() + " (start " +
             std::to_string(start[d]) + ", size " + std::to_string(size[d]) + ", stride " +
             std::to_string(stride[d]) + ")";
    };
    if (stride[d] == 0) return {{}, "stride 0" + where()};
    if (size[d] == -1 && stride[d] == -1) {  // the whole dimension, last to first
      if (start[d] != -1) return {{}, "size -1 with stride -1 needs start -1" + where()};
      dims[d] = dim;
      continue;
    }
    if (size[d] == -1) {  // the rest of the dimension, every stride-th element
      if (stride[d] <= 0 || start[d] < 0)
        return {
            {},
            "size -1 needs a positive stride and start >= 0 (or stride -1 and start -1)" + where()};
      if (dim == kUnknownDim) {
        dims[d] = kUnknownDim;
      } else if (start[d] > dim) {
        return {{}, "start is past the end" + where()};
      } else {
        dims[d] = dim == start[d] ? 0 : 1 + (dim - start[d] - 1) / stride[d];
      }
      continue;
    }
    if (size[d] < 0) return {{}, "negative size" + where()};
    dims[d] = size[d];
    if (size[d] == 0 || dim == kUnknownDim) continue;
    // The last element read, in 128 bits: strides near 2^63 must not wrap.
    const __int128 last =
        static_cast<__int128>(start[d]) + static_cast<__int128>(stride[d]) * (size[d] - 1);
    if (start[d] < 0 || start[d] >= dim || last < 0 || last >= dim)
      return {{}, "reads outside the dimension" + where()};
  }
  return {TensorShape(std::move(dims)), {}};
}

TensorShape gather_shape(const TensorShape& params, const TensorShape& indices, int64_t axis) {
  std::vector<int64_t> dims(params.begin(), params.begin() + axis);
  dims.insert(dims.end(), indices.begin(), indices.end());
  dims.insert(dims.end(), params.begin() + axis + 1, params.end());
  return TensorShape(std::move(dims));
}

std::optional<size_t> checked_bytes(int64_t count, size_t itemsize) {
  constexpr int64_t kMaxBytes = int64_t{1} << 62;
  if (count < 0 || (itemsize > 0 && count > kMaxBytes / static_cast<int64_t>(itemsize)))
    return std::nullopt;
  return static_cast<size_t>(count) * itemsize;
}

std::string validate_shape(const TensorShape& shape, bool allow_unknown) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (allow_unknown && d == kUnknownDim) continue;
    if (d < 0)
      return "dimension " + std::to_string(d) + " in shape " + shape.to_string() + " is negative";
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return "shape " + shape.to_string() + " has more elements than fit in int64";
    n *= d;
  }
  return {};
}

ElementwisePlan plan_elementwise(const TensorShape& out, const TensorShape& a,
                                 const TensorShape& b) {
  // Strides of each input aligned to the output's rank, 0 where broadcast.
  const TensorShape* ins[2] = {&a, &b};
  int64_t rank = out.rank();
  std::vector<int64_t> full[2];
  for (int k = 0; k < 2; ++k) {
    full[k].assign(static_cast<size_t>(rank), 0);
    int64_t stride = 1;
    for (int64_t i = ins[k]->rank() - 1; i >= 0; --i) {
      int64_t o = i + rank - ins[k]->rank();
      full[k][static_cast<size_t>(o)] = (*ins[k])[i] == 1 ? 0 : stride;
      stride *= (*ins[k])[i];
    }
  }
  // Merge dimension i into the dimension after it when, for every input, stepping the outer
  // dimension is the same as stepping the inner one dims[inner] times.
  ElementwisePlan plan;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = out[i];
    if (d == 1) continue;  // size-1 dims contribute nothing
    bool merge = !plan.dims.empty();
    for (int k = 0; k < 2 && merge; ++k)
      merge = plan.strides[k].back() == full[k][static_cast<size_t>(i)] * d;
    if (merge) {
      plan.dims.back() *= d;
      for (int k = 0; k < 2; ++k) plan.strides[k].back() = full[k][static_cast<size_t>(i)];
    } else {
      plan.dims.push_back(d);
      for (int k = 0; k < 2; ++k) plan.strides[k].push_back(full[k][static_cast<size_t>(i)]);
    }
  }
  if (plan.dims.empty()) {  // scalar output
    plan.dims.push_back(1);
    for (int k = 0; k < 2; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

ShapeRule same_as_first() {
  return [](std::span<const TensorShape> operands) { return ShapeResult{operands[0], {}}; };
}

ShapeRule all_equal(std::vector<TensorShape> traced) {
  return [traced = std::move(traced)](std::span<const TensorShape> operands) {
    for (size_t k = 1; k < operands.size(); ++k)
      if (operands[k] != operands[0])
        return ShapeResult{{},
                           "operand shapes " + operands[0].to_string() + " and " +
                               operands[k].to_string() + " differ (traced as " +
                               traced[0].to_string() + " and " + traced[k].to_string() +
                               ", assumed equal)"};
    return ShapeResult{operands[0], {}};
  };
}

ShapeRule broadcast_to(TensorShape traced_result, std::vector<TensorShape> traced_operands) {
  return [out_t = std::move(traced_result),
          types = std::move(traced_operands)](std::span<const TensorShape> operands) {
    std::vector<int64_t> out(out_t.dims());
    for (int64_t i = 0; i < out_t.rank(); ++i) {
      if (out_t[i] != kUnknownDim) continue;
      for (size_t k = 0; k < operands.size() && out[i] == kUnknownDim; ++k) {
        int64_t j = i - (out_t.rank() - types[k].rank());
        if (j >= 0 && types[k][j] == kUnknownDim) out[i] = operands[k][j];
      }
      if (out[i] == kUnknownDim)
        return ShapeResult{
            {},
            "no operand gives the size of dimension " + std::to_string(i) + " (malformed graph)"};
    }
    // Only x is checked: a `like` operand merely lends sizes, and is itself combined with the
    // result by the op that needed the broadcast, which checks the shapes agree.
    const TensorShape& t = types[0];
    const TensorShape& c = operands[0];
    for (int64_t j = 0; j < t.rank(); ++j) {
      int64_t i = j + out_t.rank() - t.rank();
      if (t[j] == 1 || c[j] == out[i]) continue;
      std::string why = "shape " + c.to_string() + " (traced as " + t.to_string() +
                        ") does not fit the result shape " + TensorShape(out).to_string() +
                        " at dimension " + std::to_string(i);
      if (c[j] == 1 && t[j] == kUnknownDim)
        why +=
            ": an unknown dim that is 1 at the call, where tracing assumed it was not "
            "broadcast (give it a static size of 1 in the input_signature to broadcast it)";
      return ShapeResult{{}, why};
    }
    return ShapeResult{TensorShape(std::move(out)), {}};
  };
}

ShapeResult take_along_axis_shape(const TensorShape& x, const TensorShape& indices, int64_t axis) {
  if (x.rank() != indices.rank() || axis < 0 || axis >= x.rank())
    return {{},
            "indices " + indices.to_string() + " must have the rank of " + x.to_string() +
                " and axis " + std::to_string(axis) + " must be one of its dims"};
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis && !compatible(x[d], indices[d]))
      return {{},
              "indices " + indices.to_string() + " must match " + x.to_string() +
                  " in every dim but axis " + std::to_string(axis)};
  if (x[axis] == 0 && indices[axis] != 0)
    return {{},
            "axis " + std::to_string(axis) + " of " + x.to_string() +
                " is empty, so no index is valid"};
  return {indices, {}};
}

ShapeResult scatter_shape(const TensorShape& operand, const TensorShape& indices,
                          const TensorShape& updates) {
  if (indices.rank() < 1 || indices[indices.rank() - 1] == kUnknownDim ||
      indices[indices.rank() - 1] > operand.rank())
    return {{},
            "indices " + indices.to_string() + " must have a known last dim (the index depth) " +
                "of at most the rank of " + operand.to_string()};
  const int64_t depth = indices[indices.rank() - 1], batch = indices.rank() - 1;
  bool fits = updates.rank() == batch + operand.rank() - depth;
  for (int64_t d = 0; fits && d < updates.rank(); ++d)
    fits = compatible(updates[d], d < batch ? indices[d] : operand[depth + d - batch]);
  if (!fits) {
    std::vector<int64_t> want(indices.dims().begin(), indices.dims().end() - 1);
    want.insert(want.end(), operand.dims().begin() + depth, operand.dims().end());
    return {{},
            "updates " + updates.to_string() + " must have the shape " +
                TensorShape(want).to_string() + " (indices " + indices.to_string() +
                " without the last dim, then " + operand.to_string() + " after the first " +
                std::to_string(depth) + " dims)"};
  }
  return {operand, {}};
}

ShapeResult reduce_window_shape(const TensorShape& in, const WindowSpec& spec) {
  const auto rank = static_cast<size_t>(in.rank());
  for (const auto* list : {&spec.window, &spec.strides, &spec.dilations, &spec.low, &spec.high})
    if (list->size() != rank)
      return {{},
              "the window, strides, dilations and paddings need one entry per dimension of " +
                  in.to_string() + " (" + std::to_string(rank) + "), got " +
                  std::to_string(list->size())};
  std::vector<int64_t> out;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t n = in[static_cast<int64_t>(d)], w = spec.window[d], s = spec.strides[d],
                  dil = spec.dilations[d], lo = spec.low[d], hi = spec.high[d];
    const std::string at = " in dimension " + std::to_string(d) + " of " + in.to_string();
    if (w < 1 || s < 1 || dil < 1)
      return {{},
              "window, stride and dilation must be >= 1, got " + std::to_string(w) + ", " +
                  std::to_string(s) + ", " + std::to_string(dil) + at};
    constexpr int64_t kLimit = int64_t{1} << 40;  // sizes past it would overflow below
    if (lo < 0 || hi < 0 || lo > kLimit || hi > kLimit || w > kLimit || s > kLimit || dil > kLimit)
      return {{},
              "paddings must be in [0, 2^40] and window, stride, dilation at most 2^40, got "
              "padding (" +
                  std::to_string(lo) + ", " + std::to_string(hi) + ")" + at};
    if (n == kUnknownDim) {
      if (w != 1 || s != 1 || dil != 1 || lo != 0 || hi != 0)
        return {{},
                "an unknown dimension must have window, stride and dilation 1 and no "
                "padding" +
                    at};
      out.push_back(kUnknownDim);
      continue;
    }
    int64_t span = 0;
    if (n > 0 && (__builtin_mul_overflow(n - 1, dil, &span) ||
                  __builtin_add_overflow(span, 1 + lo + hi, &span)))
      return {{}, "the dilated, padded size overflows int64" + at};
    if (n == 0) span = lo + hi;
    out.push_back(span >= w ? (span - w) / s + 1 : 0);
  }
  return {TensorShape(std::move(out)), {}};
}

}  // namespace tf::core
