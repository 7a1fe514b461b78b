// Element conversions between every pair of non-string dtypes, with TensorFlow's rules:
// to bool is `x != 0`; complex to real keeps the real part; float to integer truncates toward
// zero, saturates at the integer's range and maps NaN to 0 (C++ leaves these undefined).
#include <limits>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"

namespace tf::cpu {

using kernels::compute_t;

template <class T>
struct is_complex_t : std::false_type {};
template <class T>
struct is_complex_t<std::complex<T>> : std::true_type {};

template <class From, class To>
To convert(From v) {
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

template <class From, class To>
void cast_kernel(const void* src, void* dst, int64_t n) {
  auto* s = static_cast<const From*>(src);
  auto* d = static_cast<To*>(dst);
  rt::parallel_for(n, rt::kParallelGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) d[i] = convert<From, To>(s[i]);
  });
}

void register_cast(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto from) {
    kernels::visit_all_dtypes([&](auto to) {
      using From = decltype(from);
      using To = decltype(to);
      table.cast[int(dtype_of_v<From>)][int(dtype_of_v<To>)] = &cast_kernel<From, To>;
    });
  });
}

}  // namespace tf::cpu
