// The eager GPU kernels, compiled by nvcc into a fatbin that register.cpp launches through the
// driver API. Every element function comes from ops/scalar.h, i.e. from the op tables:
// the CPU and GPU compute the same scalar expressions. One kernel per op takes the dtype as an
// argument (a warp-uniform switch), so kernel names need no mangling.
#include "backends/cuda/kernel_support.cuh"

namespace tf::cuda {

// Offset of output element i in operand k of a strided plan.
__device__ inline int64_t strided_offset(const StridedPlan& p, int k, int64_t i) {
  int64_t offset = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    offset += (i % p.dims[d]) * p.strides[k][d];
    i /= p.dims[d];
  }
  return offset;
}

template <class Fn, class T, class Out>
__device__ void unary_loop(const void* xv, void* ov, int64_t n) {
  auto* x = static_cast<const T*>(xv);
  for_each_element(static_cast<Out*>(ov), n, [&](int64_t i) {
    return static_cast<Out>(Fn::apply(static_cast<compute_t<T>>(x[i])));
  });
}

template <class Fn, class T, class Out>
__device__ void binary_loop(const void* xv, const void* yv, void* ov, int64_t n,
                            const StridedPlan& p) {
  auto* x = static_cast<const T*>(xv);
  auto* y = static_cast<const T*>(yv);
  auto* out = static_cast<Out*>(ov);
  using C = compute_t<T>;
  if (p.rank == 0) {  // equal shapes: dense
    for_each_element(out, n,
                     [&](int64_t i) { return static_cast<Out>(Fn::apply(C(x[i]), C(y[i]))); });
  } else if (p.scalar_operand == 1) {  // a scalar and a dense operand: no index arithmetic
    const C a(x[0]);
    for_each_element(out, n, [&](int64_t i) { return static_cast<Out>(Fn::apply(a, C(y[i]))); });
  } else if (p.scalar_operand == 2) {
    const C b(y[0]);
    for_each_element(out, n, [&](int64_t i) { return static_cast<Out>(Fn::apply(C(x[i]), b)); });
  } else {
    for_each_element(out, n, [&](int64_t i) {
      return static_cast<Out>(
          Fn::apply(C(x[strided_offset(p, 0, i)]), C(y[strided_offset(p, 1, i)])));
    });
  }
}

// What a reduction accumulates in: floating sums in double, as on the CPU.
template <class Fn, class T>
using accumulator_t = std::conditional_t<std::is_same_v<Fn, kernels::reduce_sum_fn> &&
                                             std::is_floating_point_v<compute_t<T>>,
                                         double, compute_t<T>>;

// Combines each thread's `acc` into thread 0's, as a tree in shared memory.
template <class Fn, class Acc>
__device__ Acc block_combine(Acc acc) {
  __shared__ Acc partial[256];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      partial[threadIdx.x] = Fn::combine(partial[threadIdx.x], partial[threadIdx.x + s]);
    __syncthreads();
  }
  return partial[0];
}

// A reduction of an (outer, reduced, inner) view, `chunks` blocks per output element: block b
// takes chunk b % chunks of output b / chunks, a strided share per thread, then a tree. With
// one chunk it writes the result; with more, each block writes its partial (the accumulator
// type) and reduce_partials combines them, so a long reduction to few outputs fills the GPU.
template <class Fn, class T>
__device__ void reduce_block(const void* xv, void* ov, int64_t reduced, int64_t inner,
                             int64_t chunks) {
  using C = compute_t<T>;
  using Acc = accumulator_t<Fn, T>;
  const int64_t output = blockIdx.x / chunks, chunk = blockIdx.x % chunks;
  const int64_t per_chunk = (reduced + chunks - 1) / chunks;
  const int64_t begin = chunk * per_chunk, end = min(reduced, begin + per_chunk);
  const T* base = static_cast<const T*>(xv) + output / inner * reduced * inner + output % inner;
  Acc acc = static_cast<Acc>(kernels::identity_value<C>(Fn::kIdentity));
  for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x)
    acc = Fn::combine(acc, static_cast<Acc>(static_cast<C>(base[r * inner])));
  acc = block_combine<Fn>(acc);
  if (threadIdx.x != 0) return;
  if (chunks == 1)
    static_cast<T*>(ov)[blockIdx.x] = static_cast<T>(static_cast<C>(acc));
  else
    static_cast<Acc*>(ov)[blockIdx.x] = acc;
}

// One block per output: combines its `chunks` partials from reduce_block.
template <class Fn, class T>
__device__ void reduce_partials(const void* pv, void* ov, int64_t chunks) {
  using C = compute_t<T>;
  using Acc = accumulator_t<Fn, T>;
  const Acc* partials = static_cast<const Acc*>(pv) + blockIdx.x * chunks;
  Acc acc = static_cast<Acc>(kernels::identity_value<C>(Fn::kIdentity));
  for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) acc = Fn::combine(acc, partials[c]);
  acc = block_combine<Fn>(acc);
  if (threadIdx.x == 0) static_cast<T*>(ov)[blockIdx.x] = static_cast<T>(static_cast<C>(acc));
}

// argmax / argmin, one block per output like reduce_block: each thread keeps the best of a
// strided share, then (value, index) pairs meet in a tree; kernels::arg_beats makes the result
// independent of the combining order.
template <class T>
__device__ void arg_reduce_block(const void* xv, int64_t* out, int64_t reduced, int64_t inner,
                                 bool is_max) {
  using C = compute_t<T>;
  __shared__ C value[256];
  __shared__ int64_t index[256];
  const int64_t o = blockIdx.x / inner, i = blockIdx.x % inner;
  const T* base = static_cast<const T*>(xv) + o * reduced * inner + i;
  C best{};
  int64_t at = -1;  // none yet
  for (int64_t r = threadIdx.x; r < reduced; r += blockDim.x) {
    C v = static_cast<C>(base[r * inner]);
    if (at < 0 || kernels::arg_beats(v, r, best, at, is_max)) best = v, at = r;
  }
  value[threadIdx.x] = best;
  index[threadIdx.x] = at;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) {
      const int64_t other = index[threadIdx.x + s];
      if (other >= 0 && (index[threadIdx.x] < 0 ||
                         kernels::arg_beats(value[threadIdx.x + s], other, value[threadIdx.x],
                                            index[threadIdx.x], is_max))) {
        value[threadIdx.x] = value[threadIdx.x + s];
        index[threadIdx.x] = other;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = index[0] < 0 ? 0 : index[0];
}

template <class Word>
__device__ void gather_words(const void* params, const int64_t* indices, int64_t num_indices,
                             void* out, int64_t n, int64_t dim, int64_t row_words) {
  auto* src = static_cast<const Word*>(params);
  for_each_element(static_cast<Word*>(out), n, [&](int64_t e) {
    const int64_t w = e % row_words, row = e / row_words;
    const int64_t j = row % num_indices, o = row / num_indices;
    return src[(o * dim + indices[j]) * row_words + w];
  });
}

// out[o, j, i] = x[o, indices[o, j, i], i]: x (outer, dim, inner), indices and out (outer, m,
// inner), `n` words in all.
template <class Word>
__device__ void take_along_words(const void* x, const int32_t* indices, void* out, int64_t n,
                                 int64_t dim, int64_t m, int64_t inner) {
  auto* src = static_cast<const Word*>(x);
  for_each_element(static_cast<Word*>(out), n, [&](int64_t e) {
    return src[(e / (m * inner) * dim + indices[e]) * inner + e % inner];
  });
}

template <class Word>
__device__ void copy_words(const void* src, void* dst, int64_t n, const StridedPlan& p) {
  auto* s = static_cast<const Word*>(src);
  for_each_element(static_cast<Word*>(dst), n,
                   [&](int64_t i) { return s[strided_offset(p, 0, i)]; });
}

template <class Word>
__device__ void select_words(const bool* c, const void* x, const void* y, void* out, int64_t n) {
  auto* xs = static_cast<const Word*>(x);
  auto* ys = static_cast<const Word*>(y);
  for_each_element(static_cast<Word*>(out), n, [&](int64_t i) { return c[i] ? xs[i] : ys[i]; });
}

}  // namespace tf::cuda

using namespace tf;
using namespace tf::cuda;
using namespace tf::core;  // the op tables' dtype sets

#pragma nv_diag_suppress 186  // pointless comparison of unsigned integer with zero (table exprs)

#define TFJIT_UNARY(name, dtypes, result, ...)                                                    \
  extern "C" __global__ void tfjit_unary_##name(int dtype, const void* x, void* out, int64_t n) { \
    with_dtype(dtype, [&](auto tag) {                                                             \
      using T = decltype(tag);                                                                    \
      if constexpr ((dtypes).contains(dtype_of_v<T>))                                             \
        unary_loop<kernels::name##_fn, T, kernels::result::type<T>>(x, out, n);                   \
    });                                                                                           \
  }
#define TFJIT_BINARY(name, dtypes, result, ...)                                            \
  extern "C" __global__ void tfjit_binary_##name(int dtype, const void* x, const void* y,  \
                                                 void* out, int64_t n, StridedPlan plan) { \
    with_dtype(dtype, [&](auto tag) {                                                      \
      using T = decltype(tag);                                                             \
      if constexpr ((dtypes).contains(dtype_of_v<T>))                                      \
        binary_loop<kernels::name##_fn, T, kernels::result::type<T>>(x, y, out, n, plan);  \
    });                                                                                    \
  }
#include "ops/elementwise_ops.def"

#define TFJIT_REDUCTION(name, dtypes, ...)                                                         \
  extern "C" __global__ void tfjit_reduce_##name(int dtype, const void* x, void* out,              \
                                                 int64_t reduced, int64_t inner, int64_t chunks) { \
    with_dtype(dtype, [&](auto tag) {                                                              \
      using T = decltype(tag);                                                                     \
      if constexpr ((dtypes).contains(dtype_of_v<T>))                                              \
        reduce_block<kernels::name##_fn, T>(x, out, reduced, inner, chunks);                       \
    });                                                                                            \
  }                                                                                                \
  extern "C" __global__ void tfjit_reduce_partials_##name(int dtype, const void* partials,         \
                                                          void* out, int64_t chunks) {             \
    with_dtype(dtype, [&](auto tag) {                                                              \
      using T = decltype(tag);                                                                     \
      if constexpr ((dtypes).contains(dtype_of_v<T>))                                              \
        reduce_partials<kernels::name##_fn, T>(partials, out, chunks);                             \
    });                                                                                            \
  }
#include "ops/reduction_ops.def"

extern "C" __global__ void tfjit_cast(int from, int to, const void* src, void* dst, int64_t n) {
  with_dtype(from, [&](auto f) {
    with_dtype(to, [&](auto t) {
      using From = decltype(f);
      using To = decltype(t);
      auto* s = static_cast<const From*>(src);
      for_each_element(static_cast<To*>(dst), n,
                       [&](int64_t i) { return kernels::convert<From, To>(s[i]); });
    });
  });
}

extern "C" __global__ void tfjit_strided_copy(int elem_size, const void* src, void* dst, int64_t n,
                                              StridedPlan plan) {
  with_word(elem_size, [&](auto w) { copy_words<decltype(w)>(src, dst, n, plan); });
}

extern "C" __global__ void tfjit_select(int elem_size, const bool* cond, const void* x,
                                        const void* y, void* out, int64_t n) {
  with_word(elem_size, [&](auto w) { select_words<decltype(w)>(cond, x, y, out, n); });
}

extern "C" __global__ void tfjit_arg_reduce(int dtype, const void* x, int64_t* out, int64_t reduced,
                                            int64_t inner, int is_max) {
  with_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (kNumeric.contains(dtype_of_v<T>))
      arg_reduce_block<T>(x, out, reduced, inner, is_max != 0);
  });
}

// `n` words of `word_size` bytes in the output; rows are `row_words` words.
extern "C" __global__ void tfjit_gather(int word_size, const void* params, const int64_t* indices,
                                        int64_t num_indices, void* out, int64_t n, int64_t dim,
                                        int64_t row_words) {
  with_word(word_size, [&](auto w) {
    gather_words<decltype(w)>(params, indices, num_indices, out, n, dim, row_words);
  });
}

extern "C" __global__ void tfjit_take_along_axis(int word_size, const void* x,
                                                 const int32_t* indices, void* out, int64_t n,
                                                 int64_t dim, int64_t m, int64_t inner) {
  with_word(word_size,
            [&](auto w) { take_along_words<decltype(w)>(x, indices, out, n, dim, m, inner); });
}

// The structural primitives' families, each in its own file, compiled here into the same image.
#include "backends/cuda/random_kernels.cu"
#include "backends/cuda/scan_kernels.cu"
#include "backends/cuda/scatter_kernels.cu"
#include "backends/cuda/window_kernels.cu"
