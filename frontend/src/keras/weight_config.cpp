// What layers are configured with: initializers (Keras' VarianceScaling family), regularizers,
// constraints, activations. Each is a few tf:: ops, so it traces and differentiates.
#include <cmath>
#include <map>
#include <mutex>

#include "frontend/src/keras/layer_state.h"
#include "tfjit/creation.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"
#include "tfjit/table_ops.h"

namespace tf::keras {

namespace {

// Keras' compute_fans: a kernel (spatial..., in, out) has fan-in in * prod(spatial).
std::pair<double, double> fans(const TensorShape& shape) {
  const int64_t rank = shape.rank();
  if (rank == 0) return {1, 1};
  if (rank == 1) return {double(shape[0]), double(shape[0])};
  double receptive = 1;
  for (int64_t i = 0; i < rank - 2; ++i) receptive *= double(shape[i]);
  return {double(shape[rank - 2]) * receptive, double(shape[rank - 1]) * receptive};
}

}  // namespace

namespace initializers {

Initializer VarianceScaling(double scale, std::string_view mode, std::string_view distribution,
                            std::optional<uint64_t> seed) {
  if (!(scale > 0))
    throw InvalidArgumentError("VarianceScaling: scale must be positive, got " +
                               std::to_string(scale));
  if (mode != "fan_in" && mode != "fan_out" && mode != "fan_avg")
    throw InvalidArgumentError("VarianceScaling: mode must be fan_in, fan_out or fan_avg, got '" +
                               std::string(mode) + "'");
  if (distribution != "truncated_normal" && distribution != "untruncated_normal" &&
      distribution != "uniform" && distribution != "normal")
    throw InvalidArgumentError(
        "VarianceScaling: distribution must be truncated_normal, untruncated_normal or uniform, "
        "got '" +
        std::string(distribution) + "'");
  return [scale, mode = std::string(mode), distribution = std::string(distribution), seed](
             const TensorShape& shape, DType dtype) {
    auto [fan_in, fan_out] = fans(shape);
    double n = mode == "fan_in" ? fan_in : mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
    double variance = scale / std::max(1.0, n);
    if (distribution == "uniform") {
      double limit = std::sqrt(3 * variance);
      return random::uniform(shape, -limit, limit, dtype, seed);
    }
    if (distribution == "untruncated_normal")
      return random::normal(shape, 0, std::sqrt(variance), dtype, seed);
    // The stddev of a unit normal truncated at 2, so the draws keep the intended variance.
    return random::truncated_normal(shape, 0, std::sqrt(variance) / 0.87962566103423978, dtype,
                                    seed);
  };
}
Initializer GlorotUniform(std::optional<uint64_t> seed) {
  return VarianceScaling(1.0, "fan_avg", "uniform", seed);
}
Initializer GlorotNormal(std::optional<uint64_t> seed) {
  return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed);
}
Initializer HeNormal(std::optional<uint64_t> seed) {
  return VarianceScaling(2.0, "fan_in", "truncated_normal", seed);
}
Initializer HeUniform(std::optional<uint64_t> seed) {
  return VarianceScaling(2.0, "fan_in", "uniform", seed);
}
Initializer LecunNormal(std::optional<uint64_t> seed) {
  return VarianceScaling(1.0, "fan_in", "truncated_normal", seed);
}
Initializer LecunUniform(std::optional<uint64_t> seed) {
  return VarianceScaling(1.0, "fan_in", "uniform", seed);
}
Initializer RandomNormal(double mean, double stddev, std::optional<uint64_t> seed) {
  return [=](const TensorShape& shape, DType dtype) {
    return random::normal(shape, mean, stddev, dtype, seed);
  };
}
Initializer RandomUniform(double minval, double maxval, std::optional<uint64_t> seed) {
  return [=](const TensorShape& shape, DType dtype) {
    return random::uniform(shape, minval, maxval, dtype, seed);
  };
}
Initializer TruncatedNormal(double mean, double stddev, std::optional<uint64_t> seed) {
  return [=](const TensorShape& shape, DType dtype) {
    return random::truncated_normal(shape, mean, stddev, dtype, seed);
  };
}
Initializer Constant(double value) {
  return [value](const TensorShape& shape, DType dtype) { return fill(shape, value, dtype); };
}
Initializer Zeros() { return Constant(0); }
Initializer Ones() { return Constant(1); }

}  // namespace initializers

Initializer::Initializer(const char* name) {
  using namespace initializers;
  static const std::map<std::string, Initializer (*)(), std::less<>> named = {
      {"glorot_uniform", [] { return GlorotUniform(); }},
      {"glorot_normal", [] { return GlorotNormal(); }},
      {"he_normal", [] { return HeNormal(); }},
      {"he_uniform", [] { return HeUniform(); }},
      {"lecun_normal", [] { return LecunNormal(); }},
      {"lecun_uniform", [] { return LecunUniform(); }},
      {"zeros", [] { return Zeros(); }},
      {"ones", [] { return Ones(); }},
      {"random_normal", [] { return RandomNormal(); }},
      {"random_uniform", [] { return RandomUniform(); }},
      {"truncated_normal", [] { return TruncatedNormal(); }},
  };
  auto it = named.find(std::string_view(name ? name : ""));
  if (it == named.end())
    throw InvalidArgumentError("unknown initializer '" + std::string(name ? name : "") + "'");
  fn_ = it->second().fn_;
}

Tensor Initializer::operator()(const TensorShape& shape, DType dtype) const {
  Tensor t = fn_(shape, dtype);
  if (t.shape() != shape || t.dtype() != dtype)
    throw InvalidArgumentError("initializer returned " + t.shape().to_string() + " " +
                               std::string(dtype_name(t.dtype())) + " for a weight of " +
                               shape.to_string() + " " + std::string(dtype_name(dtype)));
  return t;
}

namespace regularizers {
Regularizer L1L2(double l1, double l2) {
  if (l1 < 0 || l2 < 0 || !std::isfinite(l1) || !std::isfinite(l2))
    throw InvalidArgumentError("regularizers: l1 and l2 must be finite and >= 0, got " +
                               std::to_string(l1) + ", " + std::to_string(l2));
  return [l1, l2](const Tensor& w) {
    Tensor penalty = zeros({}, w.dtype());
    if (l1 > 0) penalty = penalty + l1 * reduce_sum(abs(w));
    if (l2 > 0) penalty = penalty + l2 * reduce_sum(square(w));
    return penalty;
  };
}
Regularizer L1(double l1) { return L1L2(l1, 0); }
Regularizer L2(double l2) { return L1L2(0, l2); }
}  // namespace regularizers

namespace constraints {
Constraint NonNeg() {
  return [](const Tensor& w) { return w * cast(greater_equal(w, 0.0), w.dtype()); };
}
Constraint MaxNorm(double max_value, int64_t axis) {
  return [=](const Tensor& w) {
    Tensor norms = sqrt(reduce_sum(square(w), axis, /*keepdims=*/true));
    Tensor desired = clip_by_value(norms, 0.0, max_value);
    return w * (desired / (norms + 1e-7));
  };
}
Constraint UnitNorm(int64_t axis) {
  return [=](const Tensor& w) {
    return w / (sqrt(reduce_sum(square(w), axis, /*keepdims=*/true)) + 1e-7);
  };
}
}  // namespace constraints

namespace {
std::mutex constraints_mutex;
// Keyed by the variable's state; the weak pointer tells a dead variable from a reused address.
std::map<const void*, std::pair<std::weak_ptr<tf::detail::VariableImpl>, Constraint>>
    constraint_table;
}  // namespace

void detail::set_constraint(const Variable& variable, Constraint constraint) {
  std::lock_guard lock(constraints_mutex);
  std::erase_if(constraint_table, [](const auto& e) { return e.second.first.expired(); });
  constraint_table[variable.impl().get()] = {variable.impl(), std::move(constraint)};
}

Constraint constraint_of(const Variable& variable) {
  std::lock_guard lock(constraints_mutex);
  auto it = constraint_table.find(variable.impl().get());
  if (it == constraint_table.end() || it->second.first.lock() != variable.impl()) return {};
  return it->second.second;
}

Activation::Activation(const char* name) : name_(name ? name : "") {
  using Fn = Tensor (*)(const Tensor&);
  static const std::map<std::string, Fn, std::less<>> named = {
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"softmax", [](const Tensor& x) { return softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"gelu", [](const Tensor& x) { return nn::gelu(x, /*approximate=*/false); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"swish", [](const Tensor& x) { return silu(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"leaky_relu", [](const Tensor& x) { return nn::leaky_relu(x, 0.2); }},
      // Keras 3's: relu6(x + 3) / 6.
      {"hard_sigmoid", [](const Tensor& x) { return relu6(x + 3.0) / 6.0; }},
      {"exponential", [](const Tensor& x) { return exp(x); }},
  };
  if (name_.empty() || name_ == "linear") {
    name_ = "linear";
    return;
  }
  auto it = named.find(name_);
  if (it == named.end()) throw InvalidArgumentError("unknown activation '" + name_ + "'");
  fn_ = it->second;
}

}  // namespace tf::keras
