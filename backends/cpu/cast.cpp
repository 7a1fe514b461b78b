// Element conversions between every pair of non-string dtypes (kernels::convert).
#include <limits>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"

namespace tf::cpu {

using kernels::compute_t;
using kernels::convert;

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
      table.set(ops::Primitive::cast, dtype_of_v<From>, dtype_of_v<To>, &cast_kernel<From, To>);
    });
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_cast);

}  // namespace tf::cpu
