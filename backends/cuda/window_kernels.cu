// Eager window reductions (pooling) and their max / min gradient, select-and-scatter
// (runtime/primitives/reduce_window.h), on the GPU: a family file of kernels.cu. One thread per
// output element walks its window in row-major order, combining as the CPU's kernel does.
#pragma once

#include "backends/cuda/kernel_support.cuh"

namespace tf::cuda {

// Walks the window of output element e: visit(at) for each position inside the (dilated,
// padded) input, `at` its flat input index, in row-major window order; stops once visit
// returns true.
template <class Visit>
__device__ void for_window(const WindowPlan& p, int64_t e, Visit visit) {
  int64_t o[kMaxRank], k[kMaxRank];
  int64_t steps = 1;
  for (int d = p.rank - 1; d >= 0; --d) {
    o[d] = e % p.out[d];
    e /= p.out[d];
    k[d] = 0;
    steps *= p.window[d];
  }
  for (int64_t step = 0; step < steps; ++step) {
    int64_t at = 0;
    bool inside = true;
    for (int d = 0; d < p.rank && inside; ++d) {
      const int64_t q = o[d] * p.strides[d] + k[d] - p.low[d];
      inside = q >= 0 && q % p.dilations[d] == 0 && q / p.dilations[d] < p.in[d];
      at = at * p.in[d] + q / p.dilations[d];
    }
    if (inside && visit(at)) return;
    for (int d = p.rank - 1; d >= 0 && ++k[d] == p.window[d]; --d) k[d] = 0;
  }
}

template <class Combiner, class T>
__device__ void reduce_windows(const void* xv, void* ov, int64_t n, const WindowPlan& p) {
  using C = compute_t<T>;
  const T* x = static_cast<const T*>(xv);
  for_each_element(static_cast<T*>(ov), n, [&](int64_t e) {
    C acc = kernels::identity_value<C>(Combiner::kIdentity);
    for_window(p, e, [&](int64_t at) {
      acc = Combiner::combine(acc, static_cast<C>(x[at]));
      return false;
    });
    return static_cast<T>(acc);
  });
}

// Each window's g to the first element of its window equal to its extreme y (NaN matching NaN),
// added atomically (overlapping windows may pick the same element). `out` starts at zero.
template <class T>
__device__ void select_and_scatter_windows(const void* xv, const void* yv, const void* gv, void* ov,
                                           int64_t n, const WindowPlan& p) {
  using C = compute_t<T>;
  const T* x = static_cast<const T*>(xv);
  for (int64_t e = thread_index(); e < n; e += thread_count()) {
    const C m = static_cast<C>(static_cast<const T*>(yv)[e]);
    int64_t found = -1;
    for_window(p, e, [&](int64_t at) {
      const C v = static_cast<C>(x[at]);
      if (v == m || (v != v && m != m)) found = at;
      return found >= 0;
    });
    if (found >= 0)
      atomic_combine<kernels::reduce_sum_fn>(static_cast<T*>(ov) + found,
                                             static_cast<const T*>(gv)[e]);
  }
}

}  // namespace tf::cuda

using namespace tf::core;  // the op table's dtype sets

// tfjit_reduce_window_<op>: n output elements.
#define TFJIT_REDUCTION(name, dtypes, ...)                                                      \
  extern "C" __global__ void tfjit_reduce_window_##name(int dtype, const void* x, void* out,    \
                                                        int64_t n, tf::cuda::WindowPlan plan) { \
    tf::cuda::with_dtype(dtype, [&](auto tag) {                                                 \
      using T = decltype(tag);                                                                  \
      if constexpr ((dtypes).contains(tf::dtype_of_v<T>))                                       \
        tf::cuda::reduce_windows<tf::kernels::name##_fn, T>(x, out, n, plan);                   \
    });                                                                                         \
  }
#include "ops/reduction_ops.def"

// n windows (g's and y's elements); plan.dilations are 1.
extern "C" __global__ void tfjit_select_and_scatter(int dtype, const void* x, const void* y,
                                                    const void* g, void* out, int64_t n,
                                                    tf::cuda::WindowPlan plan) {
  tf::cuda::with_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (kNumeric.contains(tf::dtype_of_v<T>))
      tf::cuda::select_and_scatter_windows<T>(x, y, g, out, n, plan);
  });
}
