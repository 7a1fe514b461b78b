// Compiled float32 exp, tanh and erf are polynomial approximations (lowering/approximate_math.cpp):
// within a few ulp of the eager kernels over their whole range, the same special values, and exp's
// results below FLT_MIN flushed to 0. The eager float32 exp is a polynomial too
// (ops/special_functions.h): within one ulp of float64's exp, subnormal results included.
#include <tfjit/tfjit.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

// Floats in ulp order (so that two floats' distance in ulp is a difference of keys).
int64_t ulp_key(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i < 0 ? int64_t{INT32_MIN} - i : i;
}

using Unary = tf::Tensor (*)(const tf::Tensor&);

void check_against_eager(const char* name, Unary fn, float lo, float hi) {
  std::vector<float> v(100001);
  for (size_t i = 0; i < v.size(); ++i) v[i] = lo + (hi - lo) * float(i) / float(v.size() - 1);
  for (float special : {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f, FLT_MIN})
    v.push_back(special);
  auto x = tf::constant(v, tf::TensorShape{static_cast<int64_t>(v.size())});
  auto compiled = tf::function([fn](const tf::Tensor& t) { return fn(t); });
  auto want = fn(x).to_vector<float>(), got = compiled(x).to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    INFO(name << "(" << v[i] << "): eager " << want[i] << ", compiled " << got[i]);
    if (std::isnan(want[i])) {
      CHECK(std::isnan(got[i]));
    } else if (std::abs(want[i]) < FLT_MIN) {  // subnormal results may flush to 0
      CHECK(std::abs(got[i] - want[i]) <= FLT_MIN);
    } else {
      CHECK(std::abs(ulp_key(got[i]) - ulp_key(want[i])) <= 8);
    }
  }
}

}  // namespace

TEST_CASE("compiled float32 exp, tanh and erf stay within 8 ulp of libm, special values included",
          "[function][math]") {
  check_against_eager("exp", tf::exp, -110.0f, 89.0f);
  check_against_eager("tanh", tf::tanh, -30.0f, 30.0f);
  check_against_eager("erf", tf::erf, -8.0f, 8.0f);
}

TEST_CASE("eager float32 exp is within one ulp of float64 exp over every binade", "[math]") {
  // Every 2039th bit pattern (about two million floats of both signs, NaNs among them) and the
  // edges: overflow, the smallest normal and subnormal results, underflow to 0.
  std::vector<float> v;
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 2039) {
    const auto b = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, sizeof f);
    v.push_back(f);
  }
  for (float edge : {88.7228f, 88.7229f, -87.3365f, -103.279f, -103.973f, -103.9721f, -104.0f,
                     INFINITY, -INFINITY, 0.0f, -0.0f})
    v.push_back(edge);
  auto got =
      tf::exp(tf::constant(v, tf::TensorShape{static_cast<int64_t>(v.size())})).to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    const double want = std::exp(double(v[i]));
    const float rounded = static_cast<float>(want);  // inf past FLT_MAX
    INFO("exp(" << v[i] << ") = " << got[i] << ", float64 " << want);
    if (std::isnan(want)) {
      CHECK(std::isnan(got[i]));
      continue;
    }
    if (std::isinf(rounded) || want == 0.0) {
      CHECK(got[i] == rounded);
      continue;
    }
    // One ulp: the float32 spacing in the binade of the exact value (subnormals: 2^-149).
    const double ulp = std::ldexp(1.0, std::max(std::ilogb(want), -126) - 23);
    CHECK(std::abs(double(got[i]) - want) <= ulp);
  }
}

TEST_CASE("compiled expm1 stays finite up to its overflow", "[function][math]") {
  auto x = tf::constant({88.0f, 88.7f, 89.0f});
  auto f = tf::function([](const tf::Tensor& t) { return tf::expm1(t); });
  auto got = f(x).to_vector<float>();
  CHECK(got[0] == Approx(std::expm1(88.0)).epsilon(1e-5));  // (u - 1) * x overflowed to inf
  CHECK(got[1] == Approx(std::expm1(double(88.7f))).epsilon(1e-5));
  CHECK(std::isinf(got[2]));
}
