// Scalar definitions of the elementwise ops, generated from the op table. These are the kernel
// bodies for every backend (the CUDA backend compiles the same functors with nvcc).
#pragma once

#include <cmath>
#include <cstdlib>
#include <string>
#include <type_traits>

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
C floordiv_(C x, C y) {
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
template <class C>
C floormod_(C x, C y) {
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
    static auto apply(C x) {                         \
      return expr;                                   \
    }                                                \
  };
#define TFJIT_BINARY(name, dtypes, result, expr, ...) \
  struct name##_fn {                                  \
    template <class C>                                \
    static auto apply(C x, C y) {                     \
      return expr;                                    \
    }                                                 \
  };
#include "tfjit/elementwise_ops.def"
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

// Calls f(T{}) once for the C++ type of every dtype except string.
template <class F>
void visit_all_dtypes(F&& f) {
#define TFJIT_X(e, name, T) \
  if constexpr (!std::is_same_v<T, std::string>) f(T{});
  TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
}

}  // namespace tf::kernels
