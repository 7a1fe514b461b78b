// The elementwise suite's references: one line per op of ops/elementwise_ops.def, with the
// input range, whether inputs are whole numbers (so comparisons see ties) or need a non-zero
// divisor, and whether TensorFlow defines a gradient. Shared by elementwise_test.cpp (values)
// and gradient_test.cpp (gradients).
#pragma once

#include <tfjit/tfjit.h>

#include <algorithm>
#include <cmath>

namespace tft {

struct Range {
  double lo, hi;
  bool integral = false;
  bool negative_integers = true;  // false: integer dtypes draw from max(lo, 0) (pow's exponent)
};
// References for the special functions libm lacks, by other methods than tfjit's (which uses
// Lanczos' approximation and Euler-Maclaurin with 9 terms): digamma by recurrence up to 20 and
// its asymptotic series; zeta(s, q) by summing 2000 terms directly, then the integral tail.
inline double digamma_reference(double x) {
  if (x <= 0 && x == std::floor(x)) return NAN;
  long double v = x, acc = 0;
  if (v < 0.5L) {  // reflection
    acc -= 3.14159265358979323846264338327950288L /
           std::tan(3.14159265358979323846264338327950288L * v);
    v = 1 - v;
  }
  for (; v < 20; v += 1) acc -= 1 / v;
  const long double i2 = 1 / (v * v);
  return static_cast<double>(
      acc + std::log(v) - 0.5L / v -
      i2 * (1.0L / 12 - i2 * (1.0L / 120 - i2 * (1.0L / 252 - i2 * (1.0L / 240 - i2 / 132)))));
}
inline double zeta_reference(double s, double q) {
  if (s == 1) return INFINITY;
  if (s < 1) return NAN;
  if (q <= 0 && q == std::floor(q)) return INFINITY;
  if (q < 0 && s != std::floor(s)) return NAN;
  long double sum = 0, ls = s;
  const int n = 2000;
  for (int k = 0; k < n; ++k) sum += std::pow(static_cast<long double>(q) + k, -ls);
  const long double w = static_cast<long double>(q) + n;
  return static_cast<double>(sum + std::pow(w, 1 - ls) / (ls - 1) + std::pow(w, -ls) / 2 +
                             ls * std::pow(w, -ls - 1) / 12);
}

struct UnaryCase {
  const char* name;
  tf::Tensor (*op)(const tf::Tensor&);
  double (*ref)(double);
  Range range;
  bool differentiable = true;
};
// clang-format off
inline const UnaryCase kUnary[] = {
    {"logical_not", tf::logical_not, [](double x) { return x == 0 ? 1.0 : 0.0; }, {0, 1, true}, false},
    {"is_nan", tf::is_nan, [](double x) { return double(std::isnan(x)); }, {-10, 10}, false},
    {"is_inf", tf::is_inf, [](double x) { return double(std::isinf(x)); }, {-10, 10}, false},
    {"is_finite", tf::is_finite, [](double x) { return double(std::isfinite(x)); }, {-10, 10}, false},
    {"negative", tf::negative, [](double x) { return -x; }, {-10, 10}},
    {"abs", tf::abs, [](double x) { return std::fabs(x); }, {-10, 10}},
    {"sign", tf::sign, [](double x) { return double((x > 0) - (x < 0)); }, {-10, 10}},
    {"square", tf::square, [](double x) { return x * x; }, {-10, 10}},
    {"reciprocal", tf::reciprocal, [](double x) { return 1 / x; }, {0.5, 10}},
    {"sqrt", tf::sqrt, [](double x) { return std::sqrt(x); }, {0.1, 10}},
    {"rsqrt", tf::rsqrt, [](double x) { return 1 / std::sqrt(x); }, {0.1, 10}},
    {"exp", tf::exp, [](double x) { return std::exp(x); }, {-5, 5}},
    {"expm1", tf::expm1, [](double x) { return std::expm1(x); }, {-2, 2}},
    {"log", tf::log, [](double x) { return std::log(x); }, {0.1, 10}},
    {"log1p", tf::log1p, [](double x) { return std::log1p(x); }, {-0.5, 10}},
    {"sin", tf::sin, [](double x) { return std::sin(x); }, {-6, 6}},
    {"cos", tf::cos, [](double x) { return std::cos(x); }, {-6, 6}},
    {"tan", tf::tan, [](double x) { return std::tan(x); }, {-1.4, 1.4}},
    {"tanh", tf::tanh, [](double x) { return std::tanh(x); }, {-3, 3}},
    {"sigmoid", tf::sigmoid, [](double x) { return 1 / (1 + std::exp(-x)); }, {-10, 10}},
    {"relu", tf::relu, [](double x) { return x > 0 ? x : 0; }, {-10, 10}},
    {"softplus", tf::softplus, [](double x) { return std::log1p(std::exp(x)); }, {-30, 30}},
    {"erf", tf::erf, [](double x) { return std::erf(x); }, {-3, 3}},
    {"erfc", tf::erfc, [](double x) { return std::erfc(x); }, {-3, 6}},
    {"lgamma", tf::lgamma, [](double x) { return std::lgamma(x); }, {-3.7, 7}},
    {"digamma", tf::digamma, digamma_reference, {-3.7, 7}},
    {"floor", tf::floor, [](double x) { return std::floor(x); }, {-10, 10}, false},
    {"ceil", tf::ceil, [](double x) { return std::ceil(x); }, {-10, 10}, false},
    {"round", tf::round, [](double x) { return std::nearbyint(x); }, {-10, 10}, false},
    {"sinh", tf::sinh, [](double x) { return std::sinh(x); }, {-5, 5}},
    {"cosh", tf::cosh, [](double x) { return std::cosh(x); }, {-5, 5}},
    {"asin", tf::asin, [](double x) { return std::asin(x); }, {-0.9, 0.9}},
    {"acos", tf::acos, [](double x) { return std::acos(x); }, {-0.9, 0.9}},
    {"atan", tf::atan, [](double x) { return std::atan(x); }, {-10, 10}},
    {"asinh", tf::asinh, [](double x) { return std::asinh(x); }, {-10, 10}},
    {"acosh", tf::acosh, [](double x) { return std::acosh(x); }, {1.1, 10}},
    {"atanh", tf::atanh, [](double x) { return std::atanh(x); }, {-0.9, 0.9}},
    {"relu6", tf::relu6, [](double x) { return std::clamp(x, 0.0, 6.0); }, {-10, 10}},
    {"elu", tf::elu, [](double x) { return x > 0 ? x : std::expm1(x); }, {-5, 5}},
    {"selu", tf::selu, [](double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * std::expm1(x)); }, {-5, 5}},
    {"gelu", tf::gelu, [](double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }, {-5, 5}},
    {"gelu_tanh", tf::gelu_tanh, [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }, {-5, 5}},
    {"silu", tf::silu, [](double x) { return x / (1 + std::exp(-x)); }, {-10, 10}},
    {"softsign", tf::softsign, [](double x) { return x / (1 + std::fabs(x)); }, {-10, 10}},
    {"log_sigmoid", tf::log_sigmoid, [](double x) { return -std::log1p(std::exp(-x)); }, {-30, 30}},
    {"hard_sigmoid", tf::hard_sigmoid, [](double x) { return std::clamp((x + 3) / 6, 0.0, 1.0); }, {-5, 5}},
};
// clang-format on

struct BinaryCase {
  const char* name;
  tf::Tensor (*op)(const tf::Tensor&, const tf::Tensor&);
  double (*ref)(double, double);
  Range x, y;
  bool differentiable = true;
};
inline const Range kAny{-10, 10}, kWhole{-4, 4, true}, kNonZero{0.5, 10}, kBits{0, 1, true};
// clang-format off
inline const BinaryCase kBinary[] = {
    {"add", tf::add, [](double x, double y) { return x + y; }, kAny, kAny},
    {"subtract", tf::subtract, [](double x, double y) { return x - y; }, kAny, kAny},
    {"multiply", tf::multiply, [](double x, double y) { return x * y; }, kAny, kAny},
    {"realdiv", tf::realdiv, [](double x, double y) { return x / y; }, kAny, kNonZero},
    {"floordiv", tf::floordiv, [](double x, double y) { return std::floor(x / y); }, kAny, kNonZero, false},
    {"floormod", tf::floormod, [](double x, double y) { return x - std::floor(x / y) * y; }, kAny, kNonZero},
    {"pow", tf::pow, [](double x, double y) { return std::pow(x, y); }, {0.5, 3}, {-2, 3, false, false}},
    {"maximum", tf::maximum, [](double x, double y) { return std::max(x, y); }, kAny, kAny},
    {"minimum", tf::minimum, [](double x, double y) { return std::min(x, y); }, kAny, kAny},
    {"squared_difference", tf::squared_difference, [](double x, double y) { return (x - y) * (x - y); }, {-5, 5}, {-5, 5}},
    {"divide_no_nan", tf::divide_no_nan, [](double x, double y) { return x / y; }, kAny, kNonZero},
    {"xlogy", tf::xlogy, [](double x, double y) { return x * std::log(y); }, kAny, kNonZero},
    {"zeta", tf::zeta, zeta_reference, {1.5, 6}, {0.5, 5}, false},  // no gradient w.r.t. s
    {"atan2", tf::atan2, [](double x, double y) { return std::atan2(x, y); }, kAny, kAny},
    {"relu_grad", tf::relu_grad, [](double g, double z) { return z > 0 ? g : 0; }, kAny, kAny},
    {"equal", tf::equal, [](double x, double y) { return double(x == y); }, kWhole, kWhole, false},
    {"not_equal", tf::not_equal, [](double x, double y) { return double(x != y); }, kWhole, kWhole, false},
    {"less", tf::less, [](double x, double y) { return double(x < y); }, kWhole, kWhole, false},
    {"less_equal", tf::less_equal, [](double x, double y) { return double(x <= y); }, kWhole, kWhole, false},
    {"greater", tf::greater, [](double x, double y) { return double(x > y); }, kWhole, kWhole, false},
    {"greater_equal", tf::greater_equal, [](double x, double y) { return double(x >= y); }, kWhole, kWhole, false},
    {"logical_and", tf::logical_and, [](double x, double y) { return double(x && y); }, kBits, kBits, false},
    {"logical_or", tf::logical_or, [](double x, double y) { return double(x || y); }, kBits, kBits, false},
    {"logical_xor", tf::logical_xor, [](double x, double y) { return double((x != 0) != (y != 0)); }, kBits, kBits, false},
};
// clang-format on

}  // namespace tft
