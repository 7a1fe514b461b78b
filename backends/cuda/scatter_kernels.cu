// Eager scatter (runtime/primitives/scatter.h) on the GPU, a family file of kernels.cu; the
// operand is copied into the output first. With a combiner, one thread per update element
// combines it into its place atomically (kernel_support.cuh's atomic_combine), so the work is
// linear in the updates; the order of a float sum's terms varies from run to run. "update"
// (the last row wins, deterministically) is two passes: each row atomicMax's its number into a
// per-output-row winner (initialised to -1), then each update element of a winning row is
// written. Rows whose index tuple lies outside dims are skipped.
#pragma once

#include "backends/cuda/kernel_support.cuh"

namespace tf::cuda {

// The flat output row that row r's index tuple addresses, or -1 outside.
template <class I>
__device__ int64_t row_at(const I* indices, int64_t r, const ScatterArgs& p) {
  int64_t at = 0;
  for (int k = 0; k < p.depth; ++k) {
    const auto i = static_cast<int64_t>(indices[r * p.depth + k]);
    if (i < 0 || i >= p.dims[k]) return -1;
    at = at * p.dims[k] + i;
  }
  return at;
}
__device__ inline int64_t row_at(const void* indices, int64_t r, const ScatterArgs& p) {
  return p.indices64 ? row_at(static_cast<const int64_t*>(indices), r, p)
                     : row_at(static_cast<const int32_t*>(indices), r, p);
}

template <class Fn, class T>
__device__ void scatter_combine(const void* indices, const void* updates, void* out, int64_t n,
                                const ScatterArgs& p) {
  for (int64_t e = thread_index(); e < n; e += thread_count()) {
    const int64_t at = row_at(indices, e / p.slice, p);
    if (at >= 0)
      atomic_combine<Fn>(static_cast<T*>(out) + at * p.slice + e % p.slice,
                         static_cast<const T*>(updates)[e]);
  }
}

template <class Word>
__device__ void scatter_winners(const void* indices, const int64_t* winners, const void* updates,
                                void* out, int64_t n, const ScatterArgs& p) {
  for (int64_t e = thread_index(); e < n; e += thread_count()) {
    const int64_t r = e / p.slice, at = row_at(indices, r, p);
    if (at >= 0 && winners[at] == r)
      static_cast<Word*>(out)[at * p.slice + e % p.slice] = static_cast<const Word*>(updates)[e];
  }
}

}  // namespace tf::cuda

using namespace tf::core;  // the op table's dtype sets

// tfjit_scatter_<combiner>: n = rows * slice update elements.
#define TFJIT_REDUCTION(name, dtypes, ...)                                                    \
  extern "C" __global__ void tfjit_scatter_##name(int dtype, const void* indices,             \
                                                  const void* updates, void* out, int64_t n,  \
                                                  tf::cuda::ScatterArgs plan) {               \
    tf::cuda::with_dtype(dtype, [&](auto tag) {                                               \
      using T = decltype(tag);                                                                \
      if constexpr ((dtypes).contains(tf::dtype_of_v<T>))                                     \
        tf::cuda::scatter_combine<tf::kernels::name##_fn, T>(indices, updates, out, n, plan); \
    });                                                                                       \
  }
#include "ops/reduction_ops.def"

// "update", first pass: winners[at] = the last row addressing output row `at`.
extern "C" __global__ void tfjit_scatter_last_rows(const void* indices, int64_t* winners,
                                                   tf::cuda::ScatterArgs plan) {
  for (int64_t r = tf::cuda::thread_index(); r < plan.rows; r += tf::cuda::thread_count()) {
    const int64_t at = tf::cuda::row_at(indices, r, plan);
    if (at >= 0) atomicMax(reinterpret_cast<long long*>(winners + at), static_cast<long long>(r));
  }
}

// "update", second pass: the winning rows' n = rows * slice elements of `word_size` bytes.
extern "C" __global__ void tfjit_scatter_update(int word_size, const void* indices,
                                                const int64_t* winners, const void* updates,
                                                void* out, int64_t n, tf::cuda::ScatterArgs plan) {
  tf::cuda::with_word(word_size, [&](auto w) {
    tf::cuda::scatter_winners<decltype(w)>(indices, winners, updates, out, n, plan);
  });
}
