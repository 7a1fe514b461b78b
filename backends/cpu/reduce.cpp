// Eager reductions over an (outer, reduced, inner) view, one kernel template per table entry.
#include <algorithm>
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

// One contiguous row. Sums through accurate_sum; the other combiners in kLanes independent
// accumulators, which the compiler vectorises (a single chain of max ran at a fifth of the sum's
// speed). All, any and integer products give the same result in any order; max and min too,
// except which of +0 and -0 (or which NaN payload) wins a tie; float products round as
// reassociated (as TensorFlow's do).
template <class Fn, class T>
TFJIT_ISA_CLONES compute_t<T> reduce_row(const T* row, int64_t n) {
  using C = compute_t<T>;
  if constexpr (std::is_same_v<Fn, reduce_sum_fn> && std::is_floating_point_v<C>) {
    return accurate_sum(row, n);
  } else {
    constexpr int64_t kLanes = 16;
    const C init = identity_value<C>(Fn::kIdentity);
    C lanes[kLanes];
    for (C& lane : lanes) lane = init;
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int64_t l = 0; l < kLanes; ++l)
        lanes[l] = Fn::combine(lanes[l], static_cast<C>(row[i + l]));
    C acc = init;
    for (C lane : lanes) acc = Fn::combine(acc, lane);
    for (; i < n; ++i) acc = Fn::combine(acc, static_cast<C>(row[i]));
    return acc;
  }
}

// Accumulators per column (bool is stored as bytes: std::vector<bool> has no C& access).
template <class T>
using ColumnAcc = std::conditional_t<std::is_same_v<compute_t<T>, bool>, uint8_t, compute_t<T>>;

// Columns [0, width) of a (reduced, inner) block, reduced over its rows into out, with `acc`
// (width accumulators) as scratch.
template <class Fn, class T>
TFJIT_ISA_CLONES void reduce_columns(const T* base, int64_t reduced, int64_t inner, int64_t width,
                                     ColumnAcc<T>* acc, T* out) {
  using C = compute_t<T>;
  using Acc = ColumnAcc<T>;
  std::fill_n(acc, width, static_cast<Acc>(identity_value<C>(Fn::kIdentity)));
  for (int64_t r = 0; r < reduced; ++r)
    for (int64_t i = 0; i < width; ++i)
      acc[i] = static_cast<Acc>(
          Fn::combine(static_cast<C>(acc[i]), static_cast<C>(base[r * inner + i])));
  for (int64_t i = 0; i < width; ++i) out[i] = static_cast<T>(static_cast<C>(acc[i]));
}

template <class Fn, class T>
void reduce_kernel(const void* xv, void* ov, const rt::ReducePlan& p) {
  using C = compute_t<T>;
  auto* x = static_cast<const T*>(xv);
  auto* out = static_cast<T*>(ov);
  if (p.outer == 0 || p.inner == 0) return;  // an empty result
  const int threads = rt::parallel_threads();
  if (p.inner == 1 && p.outer == 1 && p.reduced >= 2 * rt::kParallelGrain && threads > 1) {
    // One long reduction: partial results per thread, combined in order (as bytes for bool:
    // std::vector<bool>'s packed bits would be a data race).
    std::vector<ColumnAcc<T>> partial(static_cast<size_t>(threads),
                                      static_cast<ColumnAcc<T>>(identity_value<C>(Fn::kIdentity)));
    int64_t per = (p.reduced + threads - 1) / threads;
    rt::parallel_for(threads, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        int64_t b = t * per, n = std::max<int64_t>(0, std::min(p.reduced, b + per) - b);
        partial[static_cast<size_t>(t)] = static_cast<ColumnAcc<T>>(reduce_row<Fn, T>(x + b, n));
      }
    });
    C acc = identity_value<C>(Fn::kIdentity);
    for (auto v : partial) acc = Fn::combine(acc, static_cast<C>(v));
    out[0] = static_cast<T>(acc);
    return;
  }
  if (p.inner == 1) {
    rt::parallel_for(p.outer,
                     std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(1, p.reduced)),
                     [&](int64_t begin, int64_t end) {
                       for (int64_t o = begin; o < end; ++o)
                         out[o] = static_cast<T>(reduce_row<Fn, T>(x + o * p.reduced, p.reduced));
                     });
    return;
  }
  // Work items of (outer index, block of columns): with few outer indices the columns split too,
  // in blocks of 16 (a vector of float32), so that every thread has some.
  int64_t width = p.inner;
  if (p.outer < threads)
    width = std::min(p.inner, ((p.inner + threads - 1) / threads + 15) / 16 * 16);
  const int64_t blocks = (p.inner + width - 1) / width;
  const int64_t item = std::max<int64_t>(1, p.reduced * width);
  rt::parallel_for(p.outer * blocks, std::max<int64_t>(1, rt::kParallelGrain / item),
                   [&](int64_t begin, int64_t end) {
                     std::vector<ColumnAcc<T>> acc(static_cast<size_t>(width));
                     for (int64_t w = begin; w < end; ++w) {
                       const int64_t o = w / blocks, i0 = w % blocks * width;
                       reduce_columns<Fn, T>(x + o * p.reduced * p.inner + i0, p.reduced, p.inner,
                                             std::min(width, p.inner - i0), acc.data(),
                                             out + o * p.inner + i0);
                     }
                   });
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
