// Special functions the C++ library lacks (digamma, Hurwitz zeta), and the constants their
// compiled forms share (compiler/lowering/special_functions.cpp builds the same steps in MLIR, so
// eager and compiled results agree); and a float32 exp that vectorises (compiled exp is MLIR's own
// polynomial, lowering/approximate_math.cpp). Host and device: the CUDA backend compiles these too.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/half.h"  // TFJIT_HOST_DEVICE

namespace tf::kernels::special {

inline constexpr double kPi = 3.14159265358979323846;

// Lanczos' approximation of the gamma function with g = 7 and 9 terms (Godfrey's coefficients):
// Gamma(z + 1) = sqrt(2 pi) (z + g + 1/2)^(z + 1/2) e^-(z + g + 1/2) A(z),
// A(z) = c0 + sum_i c_i / (z + i). About 1e-15 relative for z >= -1/2.
inline constexpr double kLanczosG = 7.0;
inline constexpr int kLanczosTerms = 9;
TFJIT_HOST_DEVICE constexpr double lanczos_coefficient(int i) {
  switch (i) {
    case 0:
      return 0.99999999999980993227684700473478;
    case 1:
      return 676.520368121885098567009190444019;
    case 2:
      return -1259.13921672240287047156078755283;
    case 3:
      return 771.3234287776530788486528258894;
    case 4:
      return -176.61502916214059906584551354;
    case 5:
      return 12.507343278686904814458936853;
    case 6:
      return -0.13857109526572011689554706;
    case 7:
      return 9.984369578019570859563e-6;
    default:
      return 1.50563273514931155834e-7;
  }
}

// Euler-Maclaurin summation of the Hurwitz zeta function: kZetaDirect terms summed directly, then
// kZetaTail correction terms B_2j / (2j)! with the Bernoulli numbers B_2j (exact rationals).
inline constexpr int kZetaDirect = 9;
inline constexpr int kZetaTail = 12;
TFJIT_HOST_DEVICE constexpr double zeta_tail_coefficient(int j) {  // B_2j / (2j)!, j = 1..12
  double b = 0;
  switch (j) {
    case 1:
      b = 1.0 / 6;
      break;
    case 2:
      b = -1.0 / 30;
      break;
    case 3:
      b = 1.0 / 42;
      break;
    case 4:
      b = -1.0 / 30;
      break;
    case 5:
      b = 5.0 / 66;
      break;
    case 6:
      b = -691.0 / 2730;
      break;
    case 7:
      b = 7.0 / 6;
      break;
    case 8:
      b = -3617.0 / 510;
      break;
    case 9:
      b = 43867.0 / 798;
      break;
    case 10:
      b = -174611.0 / 330;
      break;
    case 11:
      b = 854513.0 / 138;
      break;
    default:
      b = -236364091.0 / 2730;
      break;
  }
  double factorial = 1;
  for (int k = 2; k <= 2 * j; ++k) factorial *= k;
  return b / factorial;
}

// e^x. float32 on the host: Cephes' expf (TensorFlow's CPU kernels, through Eigen, use the same)
// as branch-free arithmetic the compiler vectorises, where glibc's expf is one scalar call per
// element (most of an eager softmax's time). x = k ln 2 + r with k = round(x / ln 2) and ln 2
// split in two (Cody-Waite) so that r is exact, e^r from a degree-7 polynomial on |r| <= ln 2 / 2,
// and 2^k as two normal powers of two so that subnormal results round once. Within 1 ulp of the
// correctly rounded result for every float32 (checked exhaustively, the subnormal results within
// 0.75). Other types, and the device (whose expf is fast), call the library.
template <class C>
TFJIT_HOST_DEVICE C exp_(C x) {
#ifndef __CUDA_ARCH__
  if constexpr (std::is_same_v<C, float>) {
    // Clamped to where e^x is 0 or inf once rounded (ternaries, not std::min: they vectorise);
    // NaN takes a finite path and is restored at the end.
    float xc = x > -104.0f ? x : -104.0f;
    xc = xc < 89.0f ? xc : 89.0f;
    const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const float k = (xc * 1.44269504088896341f + shifter) - shifter;
    const float r = (xc - k * 0.693359375f) - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * (r * r) + r + 1.0f;
    const int32_t ki = static_cast<int32_t>(k), k1 = ki >> 1, k2 = ki - k1;  // each in [-75, 64]
    const float result =
        y * std::bit_cast<float>((k1 + 127) << 23) * std::bit_cast<float>((k2 + 127) << 23);
    return x != x ? x : result;
  }
#endif
  return std::exp(x);
}

// log |Gamma(x)|. The host calls glibc's reentrant form: lgamma writes the global signgam, a data
// race when kernels run on several threads.
template <class C>
TFJIT_HOST_DEVICE C lgamma_(C x) {
#ifdef __CUDA_ARCH__
  return std::lgamma(x);
#else
  int sign = 0;
  if constexpr (std::is_same_v<C, float>)
    return ::lgammaf_r(x, &sign);
  else
    return ::lgamma_r(x, &sign);
#endif
}

// The distance of x from the nearest integer below or above, signed, in [-1/2, 1/2]: exact, so
// that sin(pi x) and tan(pi x) keep their accuracy for large |x| and near integers.
TFJIT_HOST_DEVICE inline double centred_fraction(double x) {
  double f = x - std::floor(x);
  return f > 0.5 ? f - 1 : f;
}

// digamma(x) = d/dx log Gamma(x), from the derivative of Lanczos' approximation (as XLA does);
// x < 1/2 by reflection, psi(x) = psi(1 - x) - pi / tan(pi x). NaN at 0 and negative integers,
// as TensorFlow. Computed in double for every dtype: Lanczos' sum cancels digits.
TFJIT_HOST_DEVICE inline double digamma_f64(double x) {
  using C = double;
  const bool reflect = x < C(0.5);
  const C z = (reflect ? C(1) - x : x) - C(1);
  C num = 0, den = C(lanczos_coefficient(0));
  for (int i = 1; i < kLanczosTerms; ++i) {
    const C d = z + C(i), c = C(lanczos_coefficient(i));
    num -= c / (d * d);
    den += c / d;
  }
  const C t = z + C(kLanczosG + 0.5);
  C r = std::log(t) + num / den - C(kLanczosG) / t;
  if (reflect) r -= C(kPi) / std::tan(C(kPi) * centred_fraction(x));
  if (x <= C(0) && x == std::floor(x)) return std::numeric_limits<C>::quiet_NaN();
  return r;
}
template <class C>
TFJIT_HOST_DEVICE C digamma_(C x) {
  return static_cast<C>(digamma_f64(static_cast<double>(x)));
}

// The Hurwitz zeta function zeta(s, q) = sum_k (q + k)^-s for q > 0 (Euler-Maclaurin).
TFJIT_HOST_DEVICE inline double zeta_sum(double s, double q) {
  double sum = 0;
  for (int k = 0; k < kZetaDirect; ++k) sum += std::pow(q + k, -s);
  const double w = q + kZetaDirect, a = std::pow(w, -s);
  if (a == 0) return sum;  // the tail vanishes (and its factors would overflow for huge s)
  sum += w * a / (s - 1) + 0.5 * a;
  double f = s / w;  // s (s + 1) ... (s + 2j - 2) / w^(2j - 1)
  for (int j = 1; j <= kZetaTail; ++j) {
    sum += a * f * zeta_tail_coefficient(j);
    f *= (s + (2 * j - 1)) * (s + 2 * j) / (w * w);
  }
  return sum;
}

// tf.math.zeta(x = s, q), as TensorFlow's (Eigen's): inf at s == 1, and at q a non-positive
// integer for even s (NaN for other s); NaN for s < 1, and for q < 0 unless s is an integer. There
// the terms with q + k < 0 sum to (-1)^s (zeta(s, 1 - f) - zeta(s, 1 - q)) with f = q - floor(q),
// so no sum runs over the |q| terms. In double for every dtype.
TFJIT_HOST_DEVICE inline double zeta_f64(double s, double q) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (s == 1) return inf;
  if (s != s || q != q) return s + q;
  if (s < 1) return nan;
  if (q <= 0 && q == std::floor(q)) return std::fmod(s, 2.0) == 0 ? inf : nan;
  if (s == inf) return q > 0 ? std::pow(q, -s) : nan;
  if (q == inf) return 0;
  if (q > 0) return zeta_sum(s, q);
  if (s != std::floor(s)) return nan;
  const double f = q - std::floor(q), sign = std::fmod(s, 2.0) == 0 ? 1 : -1;
  return zeta_sum(s, f) + sign * (zeta_sum(s, 1 - f) - zeta_sum(s, 1 - q));
}
template <class C>
TFJIT_HOST_DEVICE C zeta_(C s, C q) {
  return static_cast<C>(zeta_f64(static_cast<double>(s), static_cast<double>(q)));
}

}  // namespace tf::kernels::special
