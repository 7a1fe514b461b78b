// Eager reduce_sum over an (outer, reduced, inner) view.
#include <vector>

#include "backends/cpu/kernels.h"

namespace tf::cpu {

using kernels::compute_t;

// Sum of n contiguous elements. Floating sums accumulate in 16 double lanes: constant inputs
// make float32 rounding errors add up linearly, and the conversion is free next to the loads.
template <class T>
compute_t<T> sum_contiguous(const T* x, int64_t n) {
  using C = compute_t<T>;
  if constexpr (std::is_floating_point_v<C>) {
    constexpr int64_t kLanes = 16;
    double lanes[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int64_t l = 0; l < kLanes; ++l)
        lanes[l] += static_cast<double>(static_cast<C>(x[i + l]));
    double total = 0;
    for (; i < n; ++i) total += static_cast<double>(static_cast<C>(x[i]));
    for (int64_t l = 0; l < kLanes; ++l) total += lanes[l];
    return static_cast<C>(total);
  } else {
    C total = 0;
    for (int64_t i = 0; i < n; ++i) total += x[i];
    return total;
  }
}

template <class T>
void reduce_sum_kernel(const void* xv, void* ov, const rt::ReducePlan& p) {
  using C = compute_t<T>;
  auto* x = static_cast<const T*>(xv);
  auto* out = static_cast<T*>(ov);
  if (p.inner == 1) {
    for (int64_t o = 0; o < p.outer; ++o)
      out[o] = static_cast<T>(sum_contiguous(x + o * p.reduced, p.reduced));
    return;
  }
  std::vector<C> acc(static_cast<size_t>(p.inner));
  for (int64_t o = 0; o < p.outer; ++o) {
    std::fill(acc.begin(), acc.end(), C{});
    const T* base = x + o * p.reduced * p.inner;
    for (int64_t r = 0; r < p.reduced; ++r)
      for (int64_t i = 0; i < p.inner; ++i) acc[i] += static_cast<C>(base[r * p.inner + i]);
    for (int64_t i = 0; i < p.inner; ++i) out[o * p.inner + i] = static_cast<T>(acc[i]);
  }
}

void register_reduce(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (rt::kNumeric.contains(dtype_of_v<T>))
      table.reduce_sum[int(dtype_of_v<T>)] = &reduce_sum_kernel<T>;
  });
}

}  // namespace tf::cpu
