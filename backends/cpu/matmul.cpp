// Eager matmul: oneDNN's sgemm for float32, split into tiles over the thread pool (each one
// single-threaded sgemm), each operand read as stored or first copied transposed as measured
// fastest for the shape; an i-k-j loop for the other dtypes, which takes transposes as flags.
#include <dnnl.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "backends/cpu/kernels.h"
#include "backends/cpu/matmul_fused.h"
#include "backends/cpu/measure.h"
#include "backends/cpu/transpose.h"
#include "runtime/buffer.h"
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

namespace {

void sgemm_direct(const float* a, const float* b, float* c, int64_t m, int64_t k, int64_t n,
                  bool ta, bool tb) {
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

// The copy lives in the host allocator's cache of warm blocks. A plain allocation of a few MiB
// went back to the system when freed, so every call faulted its pages in again: 2.5 ms for a
// 4 MiB copy whose transpose takes 0.55 ms (the transformer step's FFN weight gradient).
std::shared_ptr<rt::Buffer> transposed(const float* src, int64_t rows, int64_t cols) {
  auto dst = rt::Buffer::allocate(float32, rows * cols);
  transpose_words(src, dst->data(), rows, cols, cols, sizeof(float));
  return dst;
}

// Per shape, transposes and thread count: which operands are copied transposed first.
struct LayoutChoices {
  std::mutex mutex;
  std::map<std::tuple<int64_t, int64_t, int64_t, bool, bool, int>, LearnedChoice> copies;
};

LayoutChoices& layout_choices() {
  static LayoutChoices& choices = *std::make_unique<LayoutChoices>().release();  // used at exit
  return choices;
}

}  // namespace

// oneDNN's sgemm runs some layouts of a shape at half the speed of others (AVX2, oneDNN 2.6:
// A^T B of 1024 x 1024 x 256 at 37 GFLOP/s a thread, A B at 80; A^T B of 256 x 1024 x 1024 at
// 41, A^T B^T at 74), more than the copy costs; which layout wins is measured per shape.
void sgemm_copying(const float* a, const float* b, float* c, int64_t m, int64_t k, int64_t n,
                   bool ta, bool tb, int copies) {
  std::shared_ptr<rt::Buffer> a_copy, b_copy;
  if (copies & 1) {
    a_copy = transposed(a, ta ? k : m, ta ? m : k);
    a = static_cast<const float*>(a_copy->data());
    ta = !ta;
  }
  if (copies & 2) {
    b_copy = transposed(b, tb ? n : k, tb ? k : n);
    b = static_cast<const float*>(b_copy->data());
    tb = !tb;
  }
  sgemm_direct(a, b, c, m, k, n, ta, tb);
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
  // Products worth a thread learn their layout (measure.h); a copy is a candidate where it costs
  // little next to the product (the other side at least 64). Layouts round differently in the last
  // bits: a fixed dense strategy (tests, TFJIT_DENSE_LAYER) runs every product as stored, the same
  // bits in every run.
  const double flops = 2.0 * double(m) * double(k) * double(n);
  if (flops < 2 * kGemmTileFlops || flops > kMeasuredFlops ||
      dense_strategy() != DenseStrategy::kMeasure)
    return sgemm_direct(a, b, c, m, k, n, ta, tb);
  // Inside a pool chunk every layout runs on one thread: not what the key's thread count runs
  // with, so the layout as stored.
  if (rt::inside_parallel_for()) return sgemm_direct(a, b, c, m, k, n, ta, tb);
  LayoutChoices& choices = layout_choices();
  LearnedChoice* choice;
  {
    std::lock_guard guard(choices.mutex);
    choice = &choices.copies[{m, k, n, ta, tb, rt::parallel_threads()}];  // map nodes stay put
  }
  int layouts[4], count = 0;  // operands copied transposed: bit 0 for A, bit 1 for B
  for (int copies : {0, 1, 2, 3})
    if ((!(copies & 1) || n >= 64) && (!(copies & 2) || m >= 64)) layouts[count++] = copies;
  run_learning(*choice, choices.mutex, static_cast<size_t>(count),
               [&](size_t way) { sgemm_copying(a, b, c, m, k, n, ta, tb, layouts[way]); });
}

template <class T>
void matmul_loops(const void* av, const void* bv, void* cv, int64_t batch, int64_t m, int64_t k,
                  int64_t n, bool ta, bool tb) {
  using C = compute_t<T>;
  rt::parallel_for(batch * m,
                   std::max<int64_t>(1, rt::kParallelGrain / std::max<int64_t>(1, k * n)),
                   [&](int64_t begin, int64_t end) {
                     std::vector<C> row(static_cast<size_t>(n));
                     for (int64_t r = begin; r < end; ++r) {
                       const int64_t i = r % m;
                       auto* a = static_cast<const T*>(av) + r / m * m * k;
                       auto* b = static_cast<const T*>(bv) + r / m * k * n;
                       std::fill(row.begin(), row.end(), C{});
                       for (int64_t p = 0; p < k; ++p) {
                         C aip = static_cast<C>(ta ? a[p * m + i] : a[i * k + p]);
                         if (tb) {
                           for (int64_t j = 0; j < n; ++j)
                             row[j] += aip * static_cast<C>(b[j * k + p]);
                         } else {
                           const T* brow = b + p * n;
                           for (int64_t j = 0; j < n; ++j) row[j] += aip * static_cast<C>(brow[j]);
                         }
                       }
                       T* c = static_cast<T*>(cv) + r * n;
                       for (int64_t j = 0; j < n; ++j) c[j] = static_cast<T>(row[j]);
                     }
                   });
}

// Few products: each tiled over the pool; many: sub-batches of them (matmul_fused.cpp).
void sgemm_kernel(const void* a, const void* b, void* c, int64_t batch, int64_t m, int64_t k,
                  int64_t n, bool ta, bool tb) {
  sgemm_batched(static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(c),
                batch, m, k, n, ta, tb);
}

void register_matmul(rt::KernelTable& table) {
  kernels::visit_all_dtypes([&](auto tag) {
    using T = decltype(tag);
    if constexpr (core::kNumeric.contains(dtype_of_v<T>))
      table.set(ops::Primitive::matmul, dtype_of_v<T>, &matmul_loops<T>);
  });
  table.set(ops::Primitive::matmul, float32, &sgemm_kernel);
}
const bool registered = rt::register_kernels(rt::DeviceType::kCPU, &register_matmul);

}  // namespace tf::cpu
