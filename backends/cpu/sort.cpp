// Eager argsort and take_along_axis on the CPU (runtime/primitives/sort.h): a stable sort of each
// line's indices, lines split over the thread pool. Compiled CPU code calls the same argsort
// (backends/cpu/library_calls.cpp).
#include <algorithm>
#include <numeric>
#include <vector>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"
#include "runtime/primitives/sort.h"

namespace tf::cpu {

namespace {

using kernels::compute_t;

// a before b: ascending with NaN above every number (descending: the reverse order, NaN first);
// ties keep their order (stable_sort).
template <class C>
bool before(C a, C b, bool descending) {
  if constexpr (std::is_floating_point_v<C>) {
    const bool a_nan = a != a, b_nan = b != b;
    if (a_nan || b_nan) return descending ? a_nan && !b_nan : b_nan && !a_nan;
  }
  return descending ? b < a : a < b;
}

template <class T>
void argsort_kernel(const void* xv, int32_t* out, const rt::ArgsortPlan& p) {
  using C = compute_t<T>;
  const auto* x = static_cast<const T*>(xv);
  const int64_t lines = p.outer * p.inner;
  rt::parallel_for(lines, std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(p.n, 1)),
                   [&](int64_t begin, int64_t end) {
                     std::vector<int32_t> order(static_cast<size_t>(p.n));
                     std::vector<C> line(static_cast<size_t>(p.n));
                     for (int64_t l = begin; l < end; ++l) {
                       const int64_t o = l / p.inner, i = l % p.inner;
                       const int64_t base = o * p.n * p.inner + i;
                       for (int64_t j = 0; j < p.n; ++j)
                         line[static_cast<size_t>(j)] = static_cast<C>(x[base + j * p.inner]);
                       std::iota(order.begin(), order.end(), 0);
                       std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
                         return before(line[static_cast<size_t>(a)], line[static_cast<size_t>(b)],
                                       p.descending);
                       });
                       for (int64_t j = 0; j < p.n; ++j)
                         out[base + j * p.inner] = order[static_cast<size_t>(j)];
                     }
                   });
}

template <class T>
void take_along_axis_kernel(const void* xv, const int32_t* idx, void* outv,
                            const rt::TakeAlongAxisPlan& p) {
  const auto* x = static_cast<const T*>(xv);
  auto* out = static_cast<T*>(outv);
  const int64_t total = p.outer * p.m * p.inner;
  rt::parallel_for(total, rt::kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int64_t i = e % p.inner, o = e / (p.m * p.inner);
      out[e] = x[(o * p.n + idx[e]) * p.inner + i];
    }
  });
}

void register_sort(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::argsort, dtype_of_v<T>, &argsort_kernel<T>);
    table.set(ops::Primitive::take_along_axis, dtype_of_v<T>, &take_along_axis_kernel<T>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_sort);

}  // namespace

}  // namespace tf::cpu
