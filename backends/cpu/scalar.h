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

#define TFJIT_UNARY(name, dtypes, expr, ...) \
  struct name##_fn {                         \
    template <class C>                       \
    static C apply(C x) {                    \
      return static_cast<C>(expr);           \
    }                                        \
  };
#define TFJIT_BINARY(name, dtypes, expr, ...) \
  struct name##_fn {                          \
    template <class C>                        \
    static C apply(C x, C y) {                \
      return static_cast<C>(expr);            \
    }                                         \
  };
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtautological-compare"
#include "tfjit/elementwise_ops.def"
#pragma GCC diagnostic pop

// Real (non-complex, non-bool) numeric element types: the ones the table's expressions accept.
template <class T>
inline constexpr bool is_arithmetic_dtype =
    (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) || std::is_same_v<T, float16_t> ||
    std::is_same_v<T, bfloat16_t>;

// Calls f(T{}) once for the C++ type of every dtype except string.
template <class F>
void visit_all_dtypes(F&& f) {
#define TFJIT_X(e, name, T) \
  if constexpr (!std::is_same_v<T, std::string>) f(T{});
  TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
}

}  // namespace tf::kernels
