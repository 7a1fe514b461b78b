// Element types. The list and each type's facts (name, size, C++ storage type) live in
// DTYPE_LIST below; everything else iterates over it.
#pragma once

#include <complex>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "tfjit/export.h"

TFJIT_API_BEGIN
namespace tf {

// IEEE binary16 storage; arithmetic happens in float.
struct float16_t {
  uint16_t bits = 0;
  float16_t() = default;
  explicit float16_t(float f);
  explicit operator float() const;
};

// bfloat16 storage (the top half of a float32); arithmetic happens in float.
struct bfloat16_t {
  uint16_t bits = 0;
  bfloat16_t() = default;
  explicit bfloat16_t(float f);
  explicit operator float() const;
};

// X(enumerator, TensorFlow name, C++ storage type)
#define TFJIT_DTYPE_LIST(X)                      \
  X(float16, "float16", float16_t)               \
  X(bfloat16, "bfloat16", bfloat16_t)            \
  X(float32, "float32", float)                   \
  X(float64, "float64", double)                  \
  X(int8, "int8", int8_t)                        \
  X(int16, "int16", int16_t)                     \
  X(int32, "int32", int32_t)                     \
  X(int64, "int64", int64_t)                     \
  X(uint8, "uint8", uint8_t)                     \
  X(bool_, "bool", bool)                         \
  X(complex64, "complex64", std::complex<float>) \
  X(string, "string", std::string)

enum class DType : uint8_t {
#define TFJIT_X(e, name, T) e,
  TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
};
inline constexpr int kNumDTypes = 12;

#define TFJIT_X(e, name, T) inline constexpr DType e = DType::e;
TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X

std::string_view dtype_name(DType dtype);
size_t dtype_size(DType dtype);
inline bool is_floating(DType d) {
  return d == float16 || d == bfloat16 || d == float32 || d == float64;
}
inline bool is_integer(DType d) {
  return d == int8 || d == int16 || d == int32 || d == int64 || d == uint8;
}
inline bool is_complex(DType d) { return d == complex64; }
inline bool is_numeric(DType d) { return is_floating(d) || is_integer(d) || is_complex(d); }

// The dtype of a C++ element type (used for typed data: std::vector<T> keeps T's dtype).
template <class T>
struct dtype_of;
#define TFJIT_X(e, name, T)                  \
  template <>                                \
  struct dtype_of<T> {                       \
    static constexpr DType value = DType::e; \
  };
TFJIT_DTYPE_LIST(TFJIT_X)
#undef TFJIT_X
// `long long` and `long` are distinct C++ types; both are 64-bit here.
template <>
struct dtype_of<long long> {
  static constexpr DType value = DType::int64;
};
template <class T>
inline constexpr DType dtype_of_v = dtype_of<std::remove_cv_t<T>>::value;
// C++ types that have a dtype (unsigned int, size_t and char do not).
template <class T>
concept HasDType = requires {
  dtype_of<std::remove_cv_t<T>>::value;
};

// The dtype TensorFlow gives a *literal* of C++ type T: like Python's int and float, an `int`
// literal becomes int32 and a `double` literal float32. Other types keep their own dtype.
template <class T>
constexpr DType literal_dtype() {
  if constexpr (std::is_same_v<T, double>)
    return DType::float32;
  else if constexpr (std::is_same_v<T, int>)
    return DType::int32;
  else
    return dtype_of_v<T>;
}

}  // namespace tf
TFJIT_API_END
