// Eager matmul: oneDNN's sgemm for float32, split into tiles over the thread pool (each one
// single-threaded sgemm); an i-k-j loop for the other dtypes. Both take the operands' transposes
// as flags, so transposed products never copy.
#include <dnnl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cpu/kernels.h"
#include "backends/cpu/matmul_fused.h"
#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::cpu {

using kernels::compute_t;

GemmTiles gemm_tiles(int64_t m, int64_t k, int64_t n, bool rows_only) {
  const double flops = 2.0 * double(m) * double(k) * double(n);
  const int64_t want = std::min<int64_t>(rt::parallel_threads(), flops / kGemmTileFlops);
  if (want <= 1) return {1, m, true};
  // Each tile packs the operand it shares whole: split the longer side, so the shorter one is
  // the one packed per tile. Rows in eights, columns in sixteens (a vector of float32).
  const bool by_rows = rows_only || m >= n;
  const int64_t extent = by_rows ? m : n, align = by_rows ? 8 : 16;
  int64_t per = (extent + want - 1) / want;
  per = (per + align - 1) / align * align;
  const int64_t count = (extent + per - 1) / per;
  return count <= 1 ? GemmTiles{1, m, true} : GemmTiles{count, per, by_rows};
}

bool onednn_threads_whole(int64_t m, int64_t k, int64_t n) {
  return 2.0 * double(m) * double(k) * double(n) >= kOneDnnThreadsFlops &&
         rt::parallel_threads() > 1 && !rt::inside_parallel_for();
}

void sgemm(const void* av, const void* bv, void* cv, int64_t m, int64_t k, int64_t n, bool ta,
           bool tb) {
  if (m == 0 || n == 0) return;
  auto* c = static_cast<float*>(cv);
  if (k == 0) {  // oneDNN rejects k == 0; the product of empty sums is zero
    std::fill_n(c, m * n, 0.0f);
    return;
  }
  auto* a = static_cast<const float*>(av);
  auto* b = static_cast<const float*>(bv);
  // Rows [i0, i1) and columns [j0, j1) of C, single-threaded: a sub-block of each operand read
  // with the whole matrix's leading dimension.
  auto block = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1, int threads = 1) {
    const rt::OneDnnThreads onednn(threads);
    dnnl_status_t s = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', i1 - i0, j1 - j0, k, 1.0f,
                                 ta ? a + i0 : a + i0 * k, ta ? m : k, tb ? b + j0 * k : b + j0,
                                 tb ? k : n, 0.0f, c + i0 * n + j0, n);
    if (s != dnnl_success)
      throw InternalError("matmul: oneDNN sgemm failed with status " + std::to_string(s));
  };
  if (onednn_threads_whole(m, k, n)) return block(0, m, 0, n, rt::parallel_threads());
  const GemmTiles tiles = gemm_tiles(m, k, n);
  if (tiles.count == 1) return block(0, m, 0, n);
  rt::parallel_for(tiles.count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t lo = t * tiles.per, hi = std::min(tiles.by_rows ? m : n, lo + tiles.per);
      tiles.by_rows ? block(lo, hi, 0, n) : block(0, m, lo, hi);
    }
  });
}

template <class T>
void matmul_loops(const void* av, const void* bv, void* cv, int64_t m, int64_t k, int64_t n,
                  bool ta, bool tb) {
  using C = compute_t<T>;
  auto* a = static_cast<const T*>(av);
  auto* b = static_cast<const T*>(bv);
  auto* c = static_cast<T*>(cv);
  std::vector<C> row(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), C{});
    for (int64_t p = 0; p < k; ++p) {
      C aip = static_cast<C>(ta ? a[p * m + i] : a[i * k + p]);
      if (tb) {
        for (int64_t j = 0; j < n; ++j) row[j] += aip * static_cast<C>(b[j * k + p]);
      } else {
        const T* brow = b + p * n;
        for (int64_t j = 0; j < n; ++j) row[j] += aip * static_cast<C>(brow[j]);
      }
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<T>(row[j]);
  }
}

void register_matmul(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::matmul, dtype_of_v<T>, &matmul_loops<T>);
  });
  table.set(ops::Primitive::matmul, float32, &sgemm);
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_matmul);

}  // namespace tf::cpu
