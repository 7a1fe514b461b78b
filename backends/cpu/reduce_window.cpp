// Eager window reductions (pooling) on the CPU. Trailing dims the window leaves alone (window,
// stride and dilation 1, no padding: channels, usually) form a contiguous inner row, combined at
// once so the inner loop vectorises; output positions are split over the thread pool.
#include <algorithm>
#include <vector>

#include "backends/cpu/kernels.h"
#include "runtime/parallel.h"
#include "runtime/primitives/reduce_window.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

using kernels::compute_t;

template <class Combiner, class T>
void reduce_window_with(const T* x, T* out, const rt::ReduceWindowPlan& p) {
  using C = compute_t<T>;
  auto rank = static_cast<int64_t>(p.in.size());
  int64_t inner = 1;
  while (rank > 0) {
    const auto d = static_cast<size_t>(rank - 1);
    if (p.window[d] != 1 || p.strides[d] != 1 || p.dilations[d] != 1 || p.low[d] != 0 ||
        p.in[d] != p.out[d])
      break;
    inner *= p.in[d];
    --rank;
  }
  const auto r = static_cast<size_t>(rank);
  int64_t positions = 1, window_size = 1;
  for (size_t d = 0; d < r; ++d) positions *= p.out[d], window_size *= p.window[d];
  const C identity = kernels::identity_value<C>(Combiner::kIdentity);
  const int64_t work = std::max<int64_t>(1, window_size * inner);
  rt::parallel_for(
      positions, std::max<int64_t>(1, rt::kParallelGrain / work), [&](int64_t begin, int64_t end) {
        // bool accumulators as bytes: std::vector<bool> packs bits
        std::vector<std::conditional_t<std::is_same_v<C, bool>, uint8_t, C>> acc(
            static_cast<size_t>(inner));
        std::vector<int64_t> o(r), k(r);
        for (int64_t pos = begin; pos < end; ++pos) {
          for (int64_t d = rank - 1, rest = pos; d >= 0; --d) {
            o[d] = rest % p.out[d];
            rest /= p.out[d];
          }
          std::fill(acc.begin(), acc.end(), identity);
          std::fill(k.begin(), k.end(), 0);
          for (int64_t step = 0; step < window_size; ++step) {
            int64_t at = 0;
            bool inside = true;
            for (size_t d = 0; d < r && inside; ++d) {
              const int64_t q = o[d] * p.strides[d] + k[d] - p.low[d];
              inside = q >= 0 && q % p.dilations[d] == 0 && q / p.dilations[d] < p.in[d];
              at = at * p.in[d] + q / std::max<int64_t>(p.dilations[d], 1);
            }
            if (inside) {
              const T* row = x + at * inner;
              for (int64_t i = 0; i < inner; ++i)
                acc[i] = Combiner::combine(static_cast<C>(acc[i]), static_cast<C>(row[i]));
            }
            for (int64_t d = rank - 1; d >= 0 && ++k[d] == p.window[d]; --d) k[d] = 0;
          }
          T* dst = out + pos * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] = static_cast<T>(acc[i]);
        }
      });
}

#define TFJIT_REDUCTION(name, ...) using kernels::name##_fn;
#include "ops/reduction_ops.def"

template <class T>
void reduce_window_kernel(const void* x, void* out, const rt::ReduceWindowPlan& p) {
  using namespace core;  // the table's dtype sets
  switch (p.op) {
#define TFJIT_REDUCTION(name, dtypes, ...)                                                     \
  case ops::ReduceOp::name:                                                                    \
    if constexpr ((dtypes).contains(dtype_of_v<T>))                                            \
      return reduce_window_with<name##_fn>(static_cast<const T*>(x), static_cast<T*>(out), p); \
    break;
#include "ops/reduction_ops.def"
    case ops::ReduceOp::kCount:
      break;
  }
  throw InternalError("reduce_window kernel: no " + std::string(ops::op_info(p.op).name) + " for " +
                      std::string(dtype_name(dtype_of_v<T>)));
}

// One step of a window's search along its inner row: where x equals the window's extreme m (NaN
// matching NaN) and the gradient `rest` is still unassigned, the element takes it; every other
// element of the row gets zero. Branch-free over unaliased rows, so that it vectorises.
template <class T>
TFJIT_ISA_CLONES void select_row(const T* __restrict x, const T* __restrict m, T* __restrict rest,
                                 T* __restrict dst, int64_t n) {
  using C = compute_t<T>;
  for (int64_t i = 0; i < n; ++i) {
    const C v = static_cast<C>(x[i]), w = static_cast<C>(m[i]);
    const bool hit = (v == w) | ((v != v) & (w != w));
    const T r = rest[i];
    dst[i] = hit ? r : T(C(0));
    rest[i] = hit ? T(C(0)) : r;
  }
}

// The inner row that window step k (a position inside the window) of output position o reads,
// or -1 in the padding.
int64_t window_row(const std::vector<int64_t>& o, const std::vector<int64_t>& k,
                   const rt::ReduceWindowPlan& p) {
  int64_t at = 0;
  for (size_t d = 0; d < o.size(); ++d) {
    const int64_t q = o[d] * p.strides[d] + k[d] - p.low[d];
    if (q < 0 || q >= p.in[d]) return -1;
    at = at * p.in[d] + q;
  }
  return at;
}

// Each window's gradient to its first element equal to its extreme. Trailing dims the window
// leaves alone form inner rows, searched together; windows that do not overlap are split over
// the thread pool (overlapping ones may add to the same element, so they run in order).
template <class T>
void select_and_scatter_kernel(const void* xv, const void* yv, const void* gv, void* outv,
                               const rt::ReduceWindowPlan& p) {
  using C = compute_t<T>;
  const auto *x = static_cast<const T*>(xv), *y = static_cast<const T*>(yv),
             *g = static_cast<const T*>(gv);
  auto* out = static_cast<T*>(outv);
  auto rank = static_cast<int64_t>(p.in.size());
  int64_t inner = 1, in_size = 1;
  for (int64_t n : p.in) in_size *= n;
  while (rank > 0) {
    const auto d = static_cast<size_t>(rank - 1);
    if (p.window[d] != 1 || p.strides[d] != 1 || p.low[d] != 0 || p.in[d] != p.out[d]) break;
    inner *= p.in[d];
    --rank;
  }
  const auto r = static_cast<size_t>(rank);
  int64_t positions = 1, window_size = 1;
  bool overlap = false;
  for (size_t d = 0; d < r; ++d) {
    positions *= p.out[d], window_size *= p.window[d];
    overlap |= p.strides[d] < p.window[d];
  }
  // Disjoint windows tiling the input write every element themselves.
  bool tiled = !overlap;
  for (size_t d = 0; d < r; ++d)
    tiled &= p.low[d] == 0 && p.out[d] * p.strides[d] == p.in[d] && p.strides[d] == p.window[d];
  if (!tiled) std::fill_n(out, in_size, T(C(0)));
  auto windows = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> o(r), k(r), found(static_cast<size_t>(inner));
    for (int64_t pos = begin; pos < end; ++pos) {
      for (int64_t d = rank - 1, rest = pos; d >= 0; --d) {
        o[d] = rest % p.out[d];
        rest /= p.out[d];
      }
      std::fill(found.begin(), found.end(), -1);
      std::fill(k.begin(), k.end(), 0);
      const T* want = y + pos * inner;
      for (int64_t step = 0; step < window_size; ++step) {
        if (const int64_t at = window_row(o, k, p); at >= 0) {
          const T* row = x + at * inner;
          for (int64_t i = 0; i < inner; ++i) {
            const C v = static_cast<C>(row[i]), m = static_cast<C>(want[i]);
            if (found[i] < 0 && (v == m || (v != v && m != m))) found[i] = at * inner + i;
          }
        }
        for (int64_t d = rank - 1; d >= 0 && ++k[d] == p.window[d]; --d) k[d] = 0;
      }
      for (int64_t i = 0; i < inner; ++i)
        if (found[i] >= 0)
          out[found[i]] =
              static_cast<T>(static_cast<C>(out[found[i]]) + static_cast<C>(g[pos * inner + i]));
    }
  };
  // Windows that do not overlap (pooling's usual 2x2 / 2): each input element lies in at most
  // one window, which writes it directly: its gradient to the first element equal to the
  // window's extreme, zero to the others (select_row). Windows wholly inside the input (all of
  // them without padding) read their rows at fixed offsets from the window's origin.
  std::vector<int64_t> row_stride(r, 1);  // in inner rows
  for (size_t d = r; d-- > 1;) row_stride[d - 1] = row_stride[d] * p.in[d];
  std::vector<int64_t> step_offset;  // of each window step from the origin, row-major
  for (int64_t step = 0; step < window_size; ++step) {
    int64_t offset = 0;
    for (size_t d = 0, rest = static_cast<size_t>(step); d < r; ++d) {
      int64_t below = 1;
      for (size_t e = d + 1; e < r; ++e) below *= p.window[e];
      offset += static_cast<int64_t>(rest) / below * row_stride[d];
      rest %= static_cast<size_t>(below);
    }
    step_offset.push_back(offset);
  }
  auto disjoint = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> o(r), k(r);
    std::vector<T> rest(static_cast<size_t>(inner));
    for (int64_t d = rank - 1, left = begin; d >= 0; --d) {
      o[d] = left % p.out[d];
      left /= p.out[d];
    }
    for (int64_t pos = begin; pos < end; ++pos) {
      std::copy_n(g + pos * inner, inner, rest.begin());
      const T* want = y + pos * inner;
      int64_t origin = 0;
      bool interior = true;
      for (size_t d = 0; d < r; ++d) {
        const int64_t q = o[d] * p.strides[d] - p.low[d];
        interior &= q >= 0 && q + p.window[d] <= p.in[d];
        origin += q * row_stride[d];
      }
      if (interior) {
        for (int64_t step : step_offset) {
          const int64_t at = (origin + step) * inner;
          select_row<T>(x + at, want, rest.data(), out + at, inner);
        }
      } else {
        std::fill(k.begin(), k.end(), 0);
        for (int64_t step = 0; step < window_size; ++step) {
          if (const int64_t at = window_row(o, k, p); at >= 0)
            select_row<T>(x + at * inner, want, rest.data(), out + at * inner, inner);
          for (int64_t d = rank - 1; d >= 0 && ++k[d] == p.window[d]; --d) k[d] = 0;
        }
      }
      for (int64_t d = rank - 1; d >= 0 && ++o[d] == p.out[d]; --d) o[d] = 0;
    }
  };
  if (overlap)
    windows(0, positions);
  else
    rt::parallel_for(
        positions,
        std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(1, window_size * inner)),
        disjoint);
}

void register_reduce_window(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr ((core::kNumeric | core::kBool).contains(dtype_of_v<T>))
      table.set(ops::Primitive::reduce_window, dtype_of_v<T>, &reduce_window_kernel<T>);
    if constexpr (core::kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::select_and_scatter, dtype_of_v<T>, &select_and_scatter_kernel<T>);
  });
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_reduce_window);

}  // namespace

}  // namespace tf::cpu
