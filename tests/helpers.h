// Test helpers: tensors from float64 data and comparison with per-dtype tolerances
// (DESIGN.md: fp32 rtol 1.3e-6/atol 1e-5, fp16 1e-3, bf16 1.6e-2, fp64 1e-7, integers exact).
#pragma once

#include <tfjit/tfjit.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace tft {

inline tf::Tensor make(const std::vector<double>& values, const tf::TensorShape& shape,
                       tf::DType dtype) {
  return tf::cast(tf::constant(values, shape), dtype);
}

// n floats uniform in [-1, 1), the same for the same seed.
inline std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

inline std::vector<double> values_of(const tf::Tensor& t) {
  return tf::cast(t, tf::float64).to_vector<double>();
}

struct Tolerance {
  double rtol, atol;
};
inline Tolerance tolerance(tf::DType dtype) {
  switch (dtype) {
    case tf::float16:
      return {1e-3, 1e-3};
    case tf::bfloat16:
      return {1.6e-2, 1.6e-2};
    case tf::float32:
      return {1.3e-6, 1e-5};
    case tf::float64:
      return {1e-7, 1e-7};
    default:
      return {0, 0};
  }
}

// The value a dtype stores for `v` (the reference must start from what the op actually saw).
inline double stored(double v, tf::DType dtype) { return values_of(make({v}, {1}, dtype))[0]; }

inline void check_close(const std::vector<double>& got, const std::vector<double>& want,
                        tf::DType dtype, const std::string& what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  auto tol = tolerance(dtype);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    if (std::isnan(want[i])) {
      CHECK(std::isnan(got[i]));
    } else if (std::isinf(want[i])) {
      CHECK(got[i] == want[i]);
    } else {
      CHECK(std::abs(got[i] - want[i]) <= tol.atol + tol.rtol * std::abs(want[i]));
    }
  }
}

}  // namespace tft
