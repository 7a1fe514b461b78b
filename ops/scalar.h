// Scalar definitions of the elementwise ops, generated from the op table. These are the kernel
// bodies for every backend (the CUDA backend compiles the same functors with nvcc).
#pragma once

#include <cmath>
#include <cstdlib>
#include <string>
#include <type_traits>

#include <limits>

#include "core/half.h"  // TFJIT_HOST_DEVICE: scalar functions are compiled for both
#include "ops/special_functions.h"
#include "tfjit/dtype.h"

namespace tf::kernels {

// The type an element is computed in: float16 and bfloat16 compute in float.
template <class T>
struct compute {
  using type = T;
};
template <>
struct compute<float16_t> {
  using type = float;
};
template <>
struct compute<bfloat16_t> {
  using type = float;
};
template <class T>
using compute_t = typename compute<T>::type;

// Python's floor division and modulo, which TensorFlow follows. Integer division by zero is
// rejected before a kernel runs; these return 0 for it so no path has undefined behaviour.
template <class C>
TFJIT_HOST_DEVICE C floordiv_(C x, C y) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::floor(x / y);
  } else if constexpr (std::is_unsigned_v<C>) {
    return y == 0 ? C(0) : C(x / y);
  } else {
    if (y == 0) return 0;
    if (y == -1)
      return C(std::make_unsigned_t<C>(0) - std::make_unsigned_t<C>(x));  // wraps at the minimum
    C q = C(x / y);
    return (x % y != 0 && ((x < 0) != (y < 0))) ? C(q - 1) : q;
  }
}
// x^y. Integers: exact by repeated squaring, wrapping on overflow (unsigned arithmetic); a
// negative exponent gives 1 / x^|y| truncated toward zero: 1 for x = 1, +-1 for x = -1, else 0
// (0 for x = 0 too, as integer division by zero gives 0 here).
template <class C>
TFJIT_HOST_DEVICE C pow_(C x, C y) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::pow(x, y);
  } else {
    // At least unsigned int, so that no operand is promoted to (overflowing) int.
    using U = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;
    if constexpr (std::is_signed_v<C>)
      if (y < 0) return x == 1 ? C(1) : x == -1 ? C((y & 1) ? -1 : 1) : C(0);
    U result = 1, base = U(x);
    for (U e = U(std::make_unsigned_t<C>(y)); e != 0; e >>= 1) {
      if (e & 1) result *= base;
      base *= base;
    }
    return C(result);
  }
}
template <class C>
TFJIT_HOST_DEVICE C floormod_(C x, C y) {
  if constexpr (std::is_floating_point_v<C>) {
    C r = std::fmod(x, y);
    return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
  } else if constexpr (std::is_unsigned_v<C>) {
    return y == 0 ? C(0) : C(x % y);
  } else {
    if (y == 0 || y == -1) return 0;
    C r = C(x % y);
    return (r != 0 && ((r < 0) != (y < 0))) ? C(r + y) : r;
  }
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtautological-compare"
#pragma GCC diagnostic ignored "-Wbool-operation"
#define TFJIT_UNARY(name, dtypes, result, expr, ...) \
  struct name##_fn {                                 \
    template <class C>                               \
    TFJIT_HOST_DEVICE static auto apply(C x) {       \
      return expr;                                   \
    }                                                \
  };
#define TFJIT_BINARY(name, dtypes, result, expr, ...) \
  struct name##_fn {                                  \
    template <class C>                                \
    TFJIT_HOST_DEVICE static auto apply(C x, C y) {   \
      return expr;                                    \
    }                                                 \
  };
#include "ops/elementwise_ops.def"
#pragma GCC diagnostic pop

// The C++ type of an op's result for input type T, from the table's result column.
struct Same {
  template <class T>
  using type = T;
};
struct Bool {
  template <class T>
  using type = bool;
};

// Reductions from the reduction table: an identity and a combining function.
enum Identity { Zero, One, Lowest, Highest, False, True };

template <class C>
TFJIT_HOST_DEVICE C identity_value(Identity id) {
  switch (id) {
    case Zero:
    case False:
      return C(0);
    case One:
    case True:
      return C(1);
    case Lowest:
      if constexpr (std::numeric_limits<C>::has_infinity)
        return -std::numeric_limits<C>::infinity();
      else
        return std::numeric_limits<C>::lowest();
    case Highest:
      if constexpr (std::numeric_limits<C>::has_infinity)
        return std::numeric_limits<C>::infinity();
      else
        return std::numeric_limits<C>::max();
  }
  return C(0);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtautological-compare"
#define TFJIT_REDUCTION(name, dtypes, identity, expr, ...) \
  struct name##_fn {                                       \
    static constexpr Identity kIdentity = identity;        \
    template <class C>                                     \
    TFJIT_HOST_DEVICE static C combine(C acc, C x) {       \
      return static_cast<C>(expr);                         \
    }                                                      \
  };
#include "ops/reduction_ops.def"
#pragma GCC diagnostic pop

// A scan combiner beyond the reduction table (ops/scan_ops.def): log(exp(acc) + exp(x)), stable
// for large magnitudes, exact where lo is -inf or hi is +inf; propagates NaN.
struct logaddexp_fn {
  static constexpr Identity kIdentity = Lowest;
  template <class C>
  TFJIT_HOST_DEVICE static C combine(C acc, C x) {
    const C hi = acc > x ? acc : x, lo = acc > x ? x : acc;
    if (acc != acc || x != x) return acc + x;
    if (lo == -std::numeric_limits<C>::infinity() || hi == std::numeric_limits<C>::infinity())
      return hi;
    return static_cast<C>(hi + std::log1p(std::exp(lo - hi)));
  }
};

// argmax (is_max) / argmin: whether the candidate (v at index iv) beats (best at ib). NaN is the
// extreme; ties and NaN against NaN go to the lower index, so the first extreme wins whatever
// order partial results are combined in (the GPU combines them as a tree).
template <class C>
TFJIT_HOST_DEVICE bool arg_beats(C v, int64_t iv, C best, int64_t ib, bool is_max) {
  const bool nan = v != v, best_nan = best != best;
  if (nan || best_nan) return nan && (!best_nan || iv < ib);
  if (v == best) return iv < ib;
  return is_max ? best < v : v < best;
}

// Element conversion with TensorFlow's rules: to bool is `x != 0`; complex to real keeps the
// real part; float to integer truncates toward zero, saturates at the integer's range and maps
// NaN to 0 (C++ leaves these undefined).
template <class T>
struct is_complex_t : std::false_type {};
template <class T>
struct is_complex_t<std::complex<T>> : std::true_type {};

template <class From, class To>
TFJIT_HOST_DEVICE To convert(From v) {
  if constexpr (std::is_same_v<From, To>) {
    return v;
  } else if constexpr (is_complex_t<From>::value) {
    if constexpr (is_complex_t<To>::value)
      return To(v);
    else if constexpr (std::is_same_v<To, bool>)
      return v != From{};
    else
      return convert<float, To>(v.real());
  } else if constexpr (is_complex_t<To>::value) {
    return To(static_cast<float>(static_cast<compute_t<From>>(v)), 0.0f);
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(v) != 0;
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<From>) {
    double d = static_cast<double>(static_cast<compute_t<From>>(v));
    if (d != d) return 0;
    if (d <= static_cast<double>(std::numeric_limits<To>::min()))
      return std::numeric_limits<To>::min();
    if (d >= static_cast<double>(std::numeric_limits<To>::max()))
      return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(static_cast<compute_t<To>>(static_cast<compute_t<From>>(v)));
  }
}

// Calls f(T{}) once for the C++ type of every dtype except string.
template <class F>
void visit_all_dtypes(F&& f) {
#define TFJIT_X(e, name, T) \
  if constexpr (!std::is_same_v<T, std::string>) f(T{});
  TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
}

}  // namespace tf::kernels
