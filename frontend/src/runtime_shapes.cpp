// Shape tensors with run-time sizes (runtime_shapes.h): tf::reshape takes each from the tensor
// it is of (tfjit.reshape's like operands); broadcast_to and the fills take them the way an
// operand's unknown dims broadcast (tfjit.broadcast_to's like operands).
#include "frontend/src/runtime_shapes.h"

#include <algorithm>

#include "frontend/src/op_helpers.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/ops.h"

namespace tf::detail {

std::optional<std::vector<ShapeFact>> shape_facts(const Tensor& t) {
  if (!t.impl()) return std::nullopt;
  if (t.impl()->shape_facts) return *t.impl()->shape_facts;
  constexpr int64_t kMostFacts = 64;  // a shape, not data
  if (t.is_symbolic() || (t.dtype() != int32 && t.dtype() != int64) || t.ndim() > 1 ||
      t.num_elements() > kMostFacts)
    return std::nullopt;
  std::vector<ShapeFact> facts;
  if (t.dtype() == int64)
    for (int64_t v : t.to_vector<int64_t>()) facts.push_back({v, nullptr, -1});
  else
    for (int32_t v : t.to_vector<int32_t>()) facts.push_back({v, nullptr, -1});
  return facts;
}

void attach_shape_facts(const Tensor& t, std::optional<std::vector<ShapeFact>> facts) {
  if (facts && t.is_symbolic() && !t.impl()->shape_facts)
    t.impl()->shape_facts = std::make_shared<const std::vector<ShapeFact>>(std::move(*facts));
}

namespace {

// The facts of a shape argument whose sizes are not all known while tracing, with facts about
// static dims resolved to their sizes; nullopt when every size is known (the caller reads the
// values as usual, raising its usual errors).
std::optional<std::vector<ShapeFact>> runtime_facts(std::string_view op, const Tensor& shape) {
  checked(shape, op, "shape");
  if (!shape.is_symbolic()) return std::nullopt;
  auto facts = shape_facts(shape);
  if (!facts || shape.ndim() != 1) return std::nullopt;  // shape_values raises, naming op
  for (ShapeFact& f : *facts)
    if (f.of && f.of->shape[f.dim] != kUnknownDim) f = {f.of->shape[f.dim], nullptr, -1};
  return facts;
}

std::vector<int64_t> sizes_of(const std::vector<ShapeFact>& facts) {
  std::vector<int64_t> sizes;
  for (const ShapeFact& f : facts) sizes.push_back(f.of ? kUnknownDim : f.size);
  return sizes;
}

bool all_known(const std::vector<ShapeFact>& facts) {
  return std::none_of(facts.begin(), facts.end(), [](const ShapeFact& f) { return bool(f.of); });
}

}  // namespace

Tensor reshape_to(const Tensor& x, const Tensor& shape) {
  auto facts = runtime_facts("reshape", shape);
  if (!facts) return reshape(x, shape_values("reshape", shape));
  if (all_known(*facts)) return reshape(x, sizes_of(*facts));
  checked(x, "reshape", "x");
  // tf::reshape(x, tf::shape(x)): nothing to do.
  bool same = static_cast<int64_t>(facts->size()) == x.ndim();
  for (size_t i = 0; same && i < facts->size(); ++i) {
    const ShapeFact& f = (*facts)[i];
    same = f.of ? f.of == x.impl() && f.dim == static_cast<int64_t>(i)
                : f.size >= 0 && f.size == x.shape()[static_cast<int64_t>(i)];
  }
  if (same) return x;
  std::vector<Tensor> operands{x};
  std::vector<int64_t> like_dims;
  for (const ShapeFact& f : *facts) {
    if (!f.of) {
      if (f.size < -1)
        throw InvalidArgumentError("reshape: dimension " + std::to_string(f.size) + " in " +
                                   TensorShape(sizes_of(*facts)).to_string() + " is negative");
      like_dims.insert(like_dims.end(), {-1, -1});
      continue;
    }
    auto at = std::find_if(operands.begin() + 1, operands.end(),
                           [&](const Tensor& t) { return t.impl() == f.of; });
    if (at == operands.end()) at = operands.insert(operands.end(), Tensor(f.of));
    like_dims.insert(like_dims.end(), {at - operands.begin() - 1, f.dim});
  }
  const TensorShape out(sizes_of(*facts));  // -1: a run-time size, or the one to infer
  std::vector<TensorShape> like;
  for (auto it = operands.begin() + 1; it != operands.end(); ++it) like.push_back(it->shape());
  auto r = core::reshape_like_shape(x.shape(), out, like_dims, like);
  if (!r.ok()) throw InvalidArgumentError("reshape: " + r.error);
  Tensor z = TraceContext::current()->emit("reshape", operands, {{"like_dims", like_dims}},
                                           x.dtype(), out);
  if (should_record({&x}))
    record({x}, z,
           [x](const Tensor& g) { return std::vector<Tensor>{reshape_to(g, tf::shape(x))}; });
  return z;
}

Tensor broadcast_to_shape(std::string_view op, const Tensor& x, const Tensor& shape) {
  auto facts = runtime_facts(op, shape);
  if (facts)  // -1 is not "unknown" in a shape to broadcast to (sizes_of would make it so)
    for (const ShapeFact& f : *facts)
      if (!f.of && f.size < 0)
        throw InvalidArgumentError(std::string(op) + ": dimension " + std::to_string(f.size) +
                                   " of the shape is negative");
  const TensorShape target(facts ? sizes_of(*facts) : shape_values(op, shape));
  if (std::string error = core::validate_shape(target, facts && !all_known(*facts)); !error.empty())
    throw InvalidArgumentError(std::string(op) + ": " + error);
  if (!facts || all_known(*facts)) return broadcast_to(x, target);
  // Each run-time size comes from the operand dim aligned with it (NumPy's broadcasting, from
  // the right): x's, else the first like operand's. Each fact's tensor is such an operand when
  // its dim is so aligned; other shapes are not supported.
  std::vector<Tensor> like;
  const int64_t rank = target.rank();
  for (int64_t i = 0; i < rank; ++i) {
    const ShapeFact& f = (*facts)[static_cast<size_t>(i)];
    if (!f.of) continue;
    const Tensor of(f.of);
    const int64_t aligned = i - (rank - x.ndim());
    const bool from_x = aligned >= 0 && x.shape()[aligned] == kUnknownDim;
    if ((from_x && f.of != x.impl()) || f.dim - of.ndim() != i - rank)
      throw UnimplementedError(
          std::string(op) + ": dimension " + std::to_string(i) + " of the shape is dimension " +
          std::to_string(f.dim) + " of a " + of.shape().to_string() +
          " tensor, known only at the call; inside a tf::function a run-time size must sit where "
          "it broadcasts from (tf::shape(y) whole, or its trailing dims)");
    if (!from_x &&
        std::none_of(like.begin(), like.end(), [&](const Tensor& t) { return t.impl() == f.of; }))
      like.push_back(of);
  }
  for (int64_t i = 0; i < rank; ++i) {  // the first like operand unknown there is the fact's
    const ShapeFact& f = (*facts)[static_cast<size_t>(i)];
    const int64_t aligned = i - (rank - x.ndim());
    if (!f.of || (aligned >= 0 && x.shape()[aligned] == kUnknownDim)) continue;
    auto first = std::find_if(like.begin(), like.end(), [&](const Tensor& t) {
      const int64_t j = i - (rank - t.ndim());
      return j >= 0 && t.shape()[j] == kUnknownDim;
    });
    if (first->impl() != f.of)
      throw UnimplementedError(std::string(op) + ": dimensions " + target.to_string() +
                               " come from several tensors with unknown dims at the same place");
  }
  return detail::broadcast_to(x, target, like);
}

}  // namespace tf::detail
