// Eager scans (ops/scan_ops.def) on the GPU, a family file of kernels.cu (one translation unit,
// one fatbin): one thread per (outer, inner) column walks the scanned axis in order, combining
// with the op's combiner in compute_t<T> as the CPU's kernel does, so both compute the same
// steps. Consecutive threads take consecutive inner elements, so their loads coalesce.
#pragma once

#include "backends/cuda/kernel_support.cuh"

namespace tf::cuda {

template <class Combiner, class T>
__device__ void scan_columns(const void* xv, void* ov, int64_t outer, int64_t n, int64_t inner,
                             bool exclusive, bool reverse) {
  using C = compute_t<T>;
  const int64_t columns = outer * inner;
  for (int64_t c = thread_index(); c < columns; c += thread_count()) {
    const int64_t offset = c / inner * n * inner + c % inner;
    const T* x = static_cast<const T*>(xv) + offset;
    T* out = static_cast<T*>(ov) + offset;
    C acc = kernels::identity_value<C>(Combiner::kIdentity);
    for (int64_t s = 0; s < n; ++s) {
      const int64_t i = (reverse ? n - 1 - s : s) * inner;
      const C v = static_cast<C>(x[i]);
      if (exclusive) out[i] = static_cast<T>(acc);
      acc = Combiner::combine(acc, v);
      if (!exclusive) out[i] = static_cast<T>(acc);
    }
  }
}

}  // namespace tf::cuda

using namespace tf::core;  // the op table's dtype sets

// tfjit_scan_<op>: x and out (outer, n, inner), one thread per column.
#define TFJIT_SCAN(name, dtypes, combiner)                                                         \
  extern "C" __global__ void tfjit_scan_##name(int dtype, const void* x, void* out, int64_t outer, \
                                               int64_t n, int64_t inner, int exclusive,            \
                                               int reverse) {                                      \
    tf::cuda::with_dtype(dtype, [&](auto tag) {                                                    \
      using T = decltype(tag);                                                                     \
      if constexpr ((dtypes).contains(tf::dtype_of_v<T>))                                          \
        tf::cuda::scan_columns<tf::kernels::combiner##_fn, T>(x, out, outer, n, inner,             \
                                                              exclusive != 0, reverse != 0);       \
    });                                                                                            \
  }
#include "ops/scan_ops.def"
