// Numerical gradient checks: central differences in float64 against GradientTape.
#pragma once

#include <functional>

#include "tests/helpers.h"

namespace tft {

using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

// Deterministic weights, so the upstream gradient is not uniform.
inline tf::Tensor weights(const tf::TensorShape& shape) {
  std::vector<double> w(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.5 + std::fmod(static_cast<double>(i) * 0.37, 1.0);
  return make(w, shape, tf::float64);
}

// sum(f(inputs) * w): a scalar whose gradient tests f's full Jacobian-vector product.
inline tf::Tensor weighted_sum(const tf::Tensor& y) {
  return tf::reduce_sum(y * weights(y.shape()));
}

inline std::vector<tf::Tensor> tape_gradients(const Fn& f, const std::vector<tf::Tensor>& inputs) {
  tf::GradientTape tape;
  for (const auto& t : inputs) tape.watch(t);
  auto loss = weighted_sum(f(inputs));
  return tape.gradient(loss, std::vector<tf::Source>(inputs.begin(), inputs.end()));
}

// The same gradients computed by a tf::function: the forward ops and every gradient rule they
// record, traced and compiled into one graph.
inline std::vector<tf::Tensor> compiled_gradients(const Fn& f,
                                                  const std::vector<tf::Tensor>& inputs) {
  if (inputs.size() == 1)
    return tf::function([&](const tf::Tensor& a) { return tape_gradients(f, {a}); })(inputs[0]);
  REQUIRE(inputs.size() == 2);
  return tf::function([&](const tf::Tensor& a, const tf::Tensor& b) {
    return tape_gradients(f, {a, b});
  })(inputs[0], inputs[1]);
}

// Checks d weighted_sum(f(inputs)) / d inputs[k] for every k against central differences, and
// that the compiled gradient equals the eager one.
inline void check_gradients(const Fn& f, const std::vector<tf::Tensor>& inputs,
                            const std::string& what, double tol = 1e-6) {
  INFO(what);
  auto grads = tape_gradients(f, inputs);
  auto compiled = compiled_gradients(f, inputs);
  REQUIRE(compiled.size() == inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    INFO("input " << k);
    REQUIRE(grads[k].defined());
    REQUIRE(grads[k].shape() == inputs[k].shape());
    auto analytic = values_of(grads[k]);
    auto from_graph = values_of(compiled[k]);
    for (size_t i = 0; i < analytic.size(); ++i) {
      INFO("element " << i << ": eager " << analytic[i] << ", compiled " << from_graph[i]);
      CHECK(std::abs(analytic[i] - from_graph[i]) <= 1e-9 * (1 + std::abs(analytic[i])));
    }
    auto base = values_of(inputs[k]);
    for (size_t i = 0; i < base.size(); ++i) {
      double h = 1e-6 * std::max(1.0, std::abs(base[i]));
      auto at = [&](double delta) {
        auto v = base;
        v[i] += delta;
        auto moved = inputs;
        moved[k] = make(v, inputs[k].shape(), tf::float64);
        return weighted_sum(f(moved)).item<double>();
      };
      double numeric = (at(h) - at(-h)) / (2 * h);
      INFO("element " << i << ": analytic " << analytic[i] << ", numeric " << numeric);
      CHECK(std::abs(analytic[i] - numeric) <= tol * (1 + std::abs(numeric)));
    }
  }
}

}  // namespace tft
