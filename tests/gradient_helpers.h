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

// Checks d weighted_sum(f(inputs)) / d inputs[k] for every k against central differences.
inline void check_gradients(const Fn& f, const std::vector<tf::Tensor>& inputs,
                            const std::string& what, double tol = 1e-6) {
  INFO(what);
  std::vector<tf::Source> sources(inputs.begin(), inputs.end());
  tf::GradientTape tape;
  for (const auto& t : inputs) tape.watch(t);
  auto loss = weighted_sum(f(inputs));
  auto grads = tape.gradient(loss, sources);
  for (size_t k = 0; k < inputs.size(); ++k) {
    INFO("input " << k);
    REQUIRE(grads[k].defined());
    REQUIRE(grads[k].shape() == inputs[k].shape());
    auto analytic = values_of(grads[k]);
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
