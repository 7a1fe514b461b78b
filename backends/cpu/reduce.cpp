// Eager reductions over an (outer, reduced, inner) view, one kernel template per table entry.
#include <limits>
#include <vector>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"

namespace tf::cpu {

using kernels::compute_t;
using kernels::identity_value;
using namespace kernels;  // the reduction functors

namespace {

// Floating sums accumulate in 16 double lanes: with constant inputs float32 rounding errors add
// up linearly, and the conversion is free next to the loads.
template <class T>
compute_t<T> accurate_sum(const T* x, int64_t n) {
  using C = compute_t<T>;
  constexpr int64_t kLanes = 16;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(static_cast<C>(x[i + l]));
  double total = 0;
  for (; i < n; ++i) total += static_cast<double>(static_cast<C>(x[i]));
  for (int64_t l = 0; l < kLanes; ++l) total += lanes[l];
  return static_cast<C>(total);
}

template <class Fn, class T>
TFJIT_ISA_CLONES void reduce_kernel(const void* xv, void* ov, const rt::ReducePlan& p) {
  using C = compute_t<T>;
  auto* x = static_cast<const T*>(xv);
  auto* out = static_cast<T*>(ov);
  const C init = identity_value<C>(Fn::kIdentity);
  const int threads = rt::parallel_threads();
  if (p.inner == 1 && p.outer == 1 && p.reduced >= 2 * rt::kParallelGrain && threads > 1) {
    // One long reduction: partial results per thread (each a reduction of its own, on one
    // thread), combined in order.
    std::vector<C> partial(static_cast<size_t>(threads), init);
    int64_t per = (p.reduced + threads - 1) / threads;
    rt::parallel_for(threads, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        int64_t b = t * per, n = std::max<int64_t>(0, std::min(p.reduced, b + per) - b);
        rt::ReducePlan part{1, n, 1};
        T r;
        reduce_kernel<Fn, T>(x + b, &r, part);
        partial[static_cast<size_t>(t)] = static_cast<C>(r);
      }
    });
    C acc = init;
    for (C v : partial) acc = Fn::combine(acc, v);
    out[0] = static_cast<T>(acc);
    return;
  }
  if (p.inner == 1) {
    for (int64_t o = 0; o < p.outer; ++o) {
      const T* row = x + o * p.reduced;
      if constexpr (std::is_same_v<Fn, reduce_sum_fn> && std::is_floating_point_v<C>) {
        out[o] = static_cast<T>(accurate_sum(row, p.reduced));
      } else {
        C acc = init;
        for (int64_t r = 0; r < p.reduced; ++r) acc = Fn::combine(acc, static_cast<C>(row[r]));
        out[o] = static_cast<T>(acc);
      }
    }
    return;
  }
  // Accumulators per inner index (bool is stored as bytes: std::vector<bool> has no C& access).
  using Acc = std::conditional_t<std::is_same_v<C, bool>, uint8_t, C>;
  std::vector<Acc> acc(static_cast<size_t>(p.inner));
  for (int64_t o = 0; o < p.outer; ++o) {
    std::fill(acc.begin(), acc.end(), static_cast<Acc>(init));
    const T* base = x + o * p.reduced * p.inner;
    for (int64_t r = 0; r < p.reduced; ++r)
      for (int64_t i = 0; i < p.inner; ++i)
        acc[i] = static_cast<Acc>(
            Fn::combine(static_cast<C>(acc[i]), static_cast<C>(base[r * p.inner + i])));
    for (int64_t i = 0; i < p.inner; ++i)
      out[o * p.inner + i] = static_cast<T>(static_cast<C>(acc[i]));
  }
}

template <class T>
void arg_reduce_kernel(const void* xv, int64_t* out, const rt::ReducePlan& p, bool is_max) {
  using C = compute_t<T>;
  auto* x = static_cast<const T*>(xv);
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t i = 0; i < p.inner; ++i) {
      const T* base = x + o * p.reduced * p.inner + i;
      int64_t best = 0;
      C best_value = p.reduced > 0 ? static_cast<C>(base[0]) : C{};
      for (int64_t r = 1; r < p.reduced; ++r) {
        C v = static_cast<C>(base[r * p.inner]);
        if (kernels::arg_beats(v, r, best_value, best, is_max)) best = r, best_value = v;
      }
      out[o * p.inner + i] = best;
    }
}

}  // namespace

void register_reduce(rt::KernelTable& table) {
  using namespace core;  // the table's dtype sets
  using ops::ReduceOp;
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::arg_reduce, dtype_of_v<T>, &arg_reduce_kernel<T>);
  });
#define TFJIT_REDUCTION(name, dtypes, ...)                                    \
  kernels::visit_all_dtypes([&](auto tag) {                                   \
    using T = decltype(tag);                                                  \
    if constexpr ((dtypes).contains(dtype_of_v<T>))                           \
      table.set(ReduceOp::name, dtype_of_v<T>, &reduce_kernel<name##_fn, T>); \
  });
#include "ops/reduction_ops.def"
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_reduce);

}  // namespace tf::cpu
