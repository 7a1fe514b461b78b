// The sorting primitives (argsort, take_along_axis; ir/families/sort.td) and the ops built on
// them: tf::sort, tf::argsort, tf::math::top_k, in_top_k. Sorting permutes, so sort's gradient
// takes the gradient back through the inverse permutation (the argsort of the permutation);
// top_k's is the same with zeros for the entries it dropped.
#include <string_view>
#include <unordered_map>

#include "frontend/src/op_helpers.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/primitives/sort.h"
#include "tfjit/creation.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {

// (outer, n, inner) around `axis`.
void split_at(const TensorShape& s, int64_t axis, int64_t& outer, int64_t& n, int64_t& inner) {
  outer = 1, inner = 1, n = s[axis];
  for (int64_t d = 0; d < s.rank(); ++d)
    if (d < axis)
      outer *= s[d];
    else if (d > axis)
      inner *= s[d];
}

int64_t axis_of(const std::string& op, const Tensor& x, int64_t axis) {
  checked(x, op, "values");
  if (x.ndim() == 0) throw InvalidArgumentError(op + ": cannot sort a scalar");
  auto a = core::normalize_axes({axis}, x.ndim());
  if (!a.error.empty()) throw InvalidArgumentError(op + ": " + a.error);
  return a.axes[0];
}

bool descending_of(const std::string& op, std::string_view direction) {
  if (direction != "ASCENDING" && direction != "DESCENDING")
    throw InvalidArgumentError(op + ": direction must be \"ASCENDING\" or \"DESCENDING\", got \"" +
                               std::string(direction) + "\"");
  return direction == "DESCENDING";
}

// The stable sorting permutation along `axis` (normalised), as int32.
Tensor argsort_primitive(const std::string& op, const Tensor& x, int64_t axis, bool descending) {
  check_dtype(op, x.dtype(), core::kNumeric);
  if (x.shape()[axis] > (int64_t{1} << 31) - 1)
    throw InvalidArgumentError(op + ": axis " + std::to_string(axis) + " of " +
                               x.shape().to_string() + " is too long for int32 indices");
  return run_primitive<rt::ArgsortKernel>(
      {op, "argsort", ops::Primitive::argsort},
      [&] {
        return std::vector<compiler::NamedAttr>{{"axis", axis}, {"descending", descending}};
      },
      int32, x.shape(),
      [&](rt::ArgsortKernel kernel, const Tensor& out, const Tensor& in) {
        rt::ArgsortPlan plan{1, 1, 1, descending};
        split_at(x.shape(), axis, plan.outer, plan.n, plan.inner);
        kernel(raw(in), static_cast<int32_t*>(raw_mut(out)), plan);
      },
      x);
}

// x's elements at int32 `indices` along `axis` (normalised); indices come from argsort here, or
// are checked.
Tensor take_along_axis(const Tensor& x, const Tensor& indices, int64_t axis) {
  const std::string op = "take_along_axis";
  core::ShapeResult r = core::take_along_axis_shape(x.shape(), indices.shape(), axis);
  if (!r.ok()) throw InvalidArgumentError(op + ": " + r.error);
  Tensor out = run_primitive<rt::TakeAlongAxisKernel>(
      {op, "take_along_axis", ops::Primitive::take_along_axis},
      [&] {
        return std::vector<compiler::NamedAttr>{{"axis", axis}};
      },
      x.dtype(), r.shape,
      [&](rt::TakeAlongAxisKernel kernel, const Tensor& o, const Tensor& in, const Tensor& idx) {
        rt::TakeAlongAxisPlan plan{1, 1, indices.shape()[axis], 1};
        split_at(x.shape(), axis, plan.outer, plan.n, plan.inner);
        kernel(raw(in), static_cast<const int32_t*>(raw(idx)), raw_mut(o), plan);
      },
      x, indices);
  // The general gradient: each g entry added back where its index points (a one-hot
  // contraction along the axis). sort and top_k use their permutations instead.
  if (should_record({&x}))
    record({x, indices}, out, [x, indices, axis](const Tensor& g) {
      const int64_t last = x.ndim() - 1;
      std::vector<int64_t> perm;
      for (int64_t d = 0; d < x.ndim(); ++d)
        perm.push_back(d == axis ? last : d == last ? axis : d);
      Tensor hot = one_hot(transpose(indices, perm), x.shape()[axis], 1, 0, g.dtype());
      Tensor back = reduce_sum(hot * expand_dims(transpose(g, perm), -1), {last});
      return std::vector<Tensor>{transpose(back, perm), Tensor()};
    });
  return out;
}

// x permuted by `perm` along `axis`, differentiated through the inverse permutation.
Tensor permute(const Tensor& x, const Tensor& perm, int64_t axis) {
  return custom_gradient_call(
      {x}, [&] { return take_along_axis(x, perm, axis); },
      [perm, axis](const Tensor& g) {
        Tensor inverse = argsort_primitive("sort", perm, axis, false);
        return std::vector<Tensor>{take_along_axis(g, inverse, axis)};
      });
}

}  // namespace

Tensor argsort(const Tensor& values, int64_t axis, std::string_view direction, bool) {
  const int64_t a = axis_of("argsort", values, axis);
  return argsort_primitive("argsort", values, a, descending_of("argsort", direction));
}

Tensor sort(const Tensor& values, int64_t axis, std::string_view direction) {
  const int64_t a = axis_of("sort", values, axis);
  Tensor perm = argsort_primitive("sort", values, a, descending_of("sort", direction));
  return permute(values, perm, a);
}

namespace {
// unique of strings, on the host: a hash of each value's first position.
Unique unique_strings(const Tensor& x, DType out_idx) {
  const std::vector<std::string> values = x.to_vector<std::string>();
  std::unordered_map<std::string_view, int64_t> group;
  std::vector<std::string> y;
  std::vector<int64_t> idx, count;
  for (const std::string& v : values) {
    auto [at, added] = group.try_emplace(v, static_cast<int64_t>(y.size()));
    if (added) y.push_back(v), count.push_back(0);
    idx.push_back(at->second);
    ++count[static_cast<size_t>(at->second)];
  }
  const auto u = static_cast<int64_t>(y.size()), n = static_cast<int64_t>(values.size());
  return {make_tensor(y.data(), string, y.size(), TensorShape{u}, string),
          cast(constant(idx, {n}), out_idx), cast(constant(count, {u}), out_idx)};
}
}  // namespace

Unique unique(const Tensor& x, DType out_idx) {
  const std::string op = "unique";
  checked(x, op, "x");
  check_dtype(op, out_idx, core::DTypeSet{int32, int64});
  if (x.ndim() != 1)
    throw InvalidArgumentError(op + ": x must be 1-D, got shape " + x.shape().to_string());
  if (TraceContext::current())
    throw UnimplementedError(op +
                             ": inside a tf::function the number of distinct values is unknown "
                             "while tracing; call it before the function");
  if (x.dtype() == string) return unique_strings(x, out_idx);
  if (x.dtype() == bool_) {  // as 0/1, whose order of first appearance is the bools'
    Unique u = unique(cast(x, int32), out_idx);
    return {cast(u.y, bool_), u.idx, u.count};
  }
  check_dtype(op, x.dtype(), core::kNumeric);
  const int64_t n = x.shape()[0];
  if (n == 0) return {x, zeros({0}, out_idx), zeros({0}, out_idx)};
  // Equal values are neighbours once sorted (stably, so a value's first element comes first);
  // NaN differs from NaN, so each NaN starts its own group.
  Tensor perm = argsort(x, 0, "ASCENDING", /*stable=*/true);
  Tensor sorted = gather(x, perm);
  const auto starts =
      not_equal(slice(sorted, {1}, {n - 1}), slice(sorted, {0}, {n - 1})).to_vector<bool>();
  const auto order = perm.to_vector<int32_t>();
  std::vector<int64_t> group(static_cast<size_t>(n)), first;  // by sorted position; by group
  for (int64_t i = 0; i < n; ++i) {
    if (i == 0 || starts[static_cast<size_t>(i - 1)])
      first.push_back(order[static_cast<size_t>(i)]);
    group[static_cast<size_t>(i)] = static_cast<int64_t>(first.size()) - 1;
  }
  // Groups in order of first appearance.
  std::vector<int64_t> by_appearance(first.size()), rank(first.size());
  for (size_t g = 0; g < first.size(); ++g) by_appearance[g] = static_cast<int64_t>(g);
  std::sort(by_appearance.begin(), by_appearance.end(), [&](int64_t a, int64_t b) {
    return first[static_cast<size_t>(a)] < first[static_cast<size_t>(b)];
  });
  std::vector<int64_t> positions(first.size()), idx(static_cast<size_t>(n)), count(first.size(), 0);
  for (size_t r = 0; r < by_appearance.size(); ++r) {
    rank[static_cast<size_t>(by_appearance[r])] = static_cast<int64_t>(r);
    positions[r] = first[static_cast<size_t>(by_appearance[r])];
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = rank[static_cast<size_t>(group[static_cast<size_t>(i)])];
    idx[static_cast<size_t>(order[static_cast<size_t>(i)])] = r;
    ++count[static_cast<size_t>(r)];
  }
  const auto u = static_cast<int64_t>(first.size());
  return {gather(x, constant(positions, {u})), cast(constant(idx, {n}), out_idx),
          cast(constant(count, {u}), out_idx)};
}

namespace math {

TopK top_k(const Tensor& input, int64_t k, bool) {
  const std::string op = "top_k";
  const int64_t axis = axis_of(op, input, -1);
  require_known_dim(op, input, axis, "the last dimension");
  const int64_t n = input.shape()[axis];
  if (k < 0 || k > n)
    throw InvalidArgumentError(op + ": k must be in [0, " + std::to_string(n) +
                               "] (the last dimension of " + input.shape().to_string() + "), got " +
                               std::to_string(k));
  Tensor perm = argsort_primitive(op, input, axis, /*descending=*/true);
  std::vector<int64_t> begin(static_cast<size_t>(input.ndim()), 0), size(begin.size(), -1);
  size.back() = k;
  Tensor indices = slice(perm, begin, size);
  Tensor values = custom_gradient_call(
      {input}, [&] { return take_along_axis(input, indices, axis); },
      [perm, axis, n, k](const Tensor& g) {
        // The dropped entries' gradient is zero: g padded to n, then un-permuted.
        std::vector<std::pair<int64_t, int64_t>> pads(static_cast<size_t>(g.ndim()), {0, 0});
        pads.back().second = n - k;
        Tensor inverse = argsort_primitive("top_k", perm, axis, false);
        return std::vector<Tensor>{take_along_axis(pad(g, pads), inverse, axis)};
      });
  return {values, indices};
}

Tensor in_top_k(const Tensor& targets, const Tensor& predictions, int64_t k) {
  const std::string op = "in_top_k";
  checked(targets, op, "targets");
  checked(predictions, op, "predictions");
  check_dtype(op, targets.dtype(), core::DTypeSet{int32, int64});
  check_dtype(op, predictions.dtype(), core::kFloat);
  if (predictions.ndim() != 2 || targets.ndim() != 1)
    throw InvalidArgumentError(op +
                               ": expects targets (batch,) and predictions (batch, "
                               "classes), got " +
                               targets.shape().to_string() + " and " +
                               predictions.shape().to_string());
  require_known_dim(op, predictions, 1, "the class dimension");
  check_class_ids(op, targets, predictions.shape()[1], "a target");
  Tensor at = take_along_axis(predictions, expand_dims(cast(targets, int32), 1), 1);
  Tensor larger = reduce_sum(cast(greater(predictions, at), int32), 1);
  return logical_and(less(larger, fill({}, static_cast<double>(k), int32)),
                     is_finite(squeeze(at, {1})));
}

}  // namespace math

}  // namespace tf
