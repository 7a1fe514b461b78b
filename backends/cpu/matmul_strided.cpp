// Batched GEMMs whose operands are read through strides: one oneDNN matmul primitive over the
// batch (oneDNN takes any strides), so a transposed or head-split operand is a layout, never a
// copy. The compiled graphs' batched GEMMs and the eager batched matmul both run here.
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "backends/cpu/matmul_strided.h"

#include "backends/cpu/matmul_fused.h"
#include "backends/cpu/onednn.h"
#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

struct Primitives {
  std::mutex mutex;
  // Keyed by the descriptors' dims and strides and the thread count: a graph's GEMMs see few
  // shapes, each split at most two ways (whole chunks and the last one).
  std::map<std::vector<int64_t>, std::shared_ptr<dnnl::matmul>> cache;
};

Primitives& primitives() {
  // Leaked on purpose: compiled code may still run during static destruction.
  static Primitives& p = *std::make_unique<Primitives>().release();
  return p;
}

// One operand's descriptor: dims [batch..., rows, cols] at `strides` (the same order).
dnnl::memory::desc operand_md(const std::vector<int64_t>& dims,
                              const std::vector<int64_t>& strides) {
  return {dnnl::memory::dims(dims.begin(), dims.end()), dnnl::memory::data_type::f32,
          dnnl::memory::dims(strides.begin(), strides.end())};
}

// The GEMM over batch sizes `batch` and rows [0, m) (a piece of `g`), at g's strides.
struct Piece {
  std::vector<int64_t> batch;
  int64_t m;
};

std::vector<int64_t> dims_of(const Piece& piece, int64_t rows, int64_t cols) {
  std::vector<int64_t> dims = piece.batch;
  dims.push_back(rows);
  dims.push_back(cols);
  return dims;
}

struct Descs {
  dnnl::memory::desc a, b, c;
};
Descs descs(const StridedGemm& g, const Piece& piece) {
  return {operand_md(dims_of(piece, piece.m, g.k), g.a), operand_md(dims_of(piece, g.k, g.n), g.b),
          operand_md(dims_of(piece, piece.m, g.n), g.c)};
}

dnnl::matmul::primitive_desc primitive_desc(const Descs& d) {
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(d.a, d.b, d.c), onednn_engine());
}

void run_piece(const float* a, const float* b, float* c, const StridedGemm& g, const Piece& piece,
               int threads) {
  const Descs d = descs(g, piece);
  Primitives& p = primitives();
  const rt::OneDnnThreads onednn(threads);  // built and run on this many threads
  std::shared_ptr<dnnl::matmul> mm;
  {
    std::vector<int64_t> key = dims_of(piece, piece.m, g.n);
    key.insert(key.end(), {g.k, threads});
    for (const auto* s : {&g.a, &g.b, &g.c}) key.insert(key.end(), s->begin(), s->end());
    std::lock_guard guard(p.mutex);
    auto& slot = p.cache[key];
    if (!slot) slot = std::make_shared<dnnl::matmul>(primitive_desc(d));
    mm = slot;
  }
  // oneDNN takes non-const handles; it never writes the inputs.
  dnnl::memory a_mem(d.a, onednn_engine(), const_cast<float*>(a));
  dnnl::memory b_mem(d.b, onednn_engine(), const_cast<float*>(b));
  dnnl::memory c_mem(d.c, onednn_engine(), c);
  dnnl::stream& stream = onednn_stream();
  mm->execute(stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}});
  stream.wait();
}

// C = 0 through C's strides (an empty sum; oneDNN rejects k == 0).
void zero(float* c, const StridedGemm& g) {
  const size_t nb = g.batch.size();
  std::vector<int64_t> index(nb, 0);
  for (;;) {
    float* base = c;
    for (size_t d = 0; d < nb; ++d) base += index[d] * g.c[d];
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) base[i * g.c[nb] + j * g.c[nb + 1]] = 0.0f;
    size_t d = nb;
    while (d > 0 && ++index[d - 1] == g.batch[d - 1]) index[--d] = 0;
    if (d == 0) return;
  }
}

void check(const StridedGemm& g) {
  const size_t nb = g.batch.size();
  if (nb > StridedGemm::kMaxBatchDims || g.a.size() != nb + 2 || g.b.size() != nb + 2 ||
      g.c.size() != nb + 2)
    throw InternalError("strided matmul: " + std::to_string(nb) + " batch dims with strides for " +
                        std::to_string(g.a.size()) + ", " + std::to_string(g.b.size()) + " and " +
                        std::to_string(g.c.size()) + " dims");
}

// oneDNN's fast kernels write C row by row: a C stored column by column (attention's dK, (qᵀ
// dS)ᵀ) is computed as Cᵀ = Bᵀ Aᵀ, which is row by row. (As asked, oneDNN 2.6 runs it on its
// reference loops, 1000x slower.)
bool column_major(const StridedGemm& g) {
  const size_t nb = g.batch.size();
  return g.c[nb + 1] != 1 && g.c[nb] == 1;
}
StridedGemm transposed(const StridedGemm& g) {
  auto swapped = [&](std::vector<int64_t> s) {
    std::swap(s[s.size() - 2], s[s.size() - 1]);
    return s;
  };
  return {g.batch, g.n, g.m, g.k, swapped(g.b), swapped(g.a), swapped(g.c)};
}

// The GEMMs of one position in g's first `outer` batch dims: the remaining batch dims.
StridedGemm inner(const StridedGemm& g, size_t outer) {
  auto tail = [&](const std::vector<int64_t>& v) {
    return std::vector<int64_t>(v.begin() + static_cast<std::ptrdiff_t>(outer), v.end());
  };
  return {tail(g.batch), g.m, g.n, g.k, tail(g.a), tail(g.b), tail(g.c)};
}

}  // namespace

std::string sgemm_strided_implementation(const StridedGemm& g) {
  check(g);
  if (column_major(g)) return sgemm_strided_implementation(transposed(g));
  try {
    const rt::OneDnnThreads single_threaded;
    return primitive_desc(descs(g, {g.batch, g.m})).impl_info_str();
  } catch (const dnnl::error& e) {
    throw InternalError(std::string("batched matmul: oneDNN failed: ") + e.what());
  }
}

void sgemm_strided(const float* a, const float* b, float* c, const StridedGemm& g) {
  check(g);
  if (column_major(g)) return sgemm_strided(b, a, c, transposed(g));
  const size_t nb = g.batch.size();
  int64_t count = 1;
  for (int64_t s : g.batch) count *= s;
  if (count == 0 || g.m == 0 || g.n == 0) return;
  if (g.k == 0) return zero(c, g);
  const double flops = 2.0 * double(count) * double(g.m) * double(g.k) * double(g.n);
  const int threads = rt::inside_parallel_for() ? 1 : rt::parallel_threads();
  try {
    // Many products: chunks of the batch's items over the pool, each run single-threaded. An
    // item is a position in the fewest outer batch dims that give every thread two (attention's
    // [batch, heads] splits over its heads too where the batch alone is under twice the
    // threads); a chunk of the outermost dim alone is one primitive (two chunk sizes at most).
    size_t outer = 0;
    int64_t items = 1;
    while (outer < nb && items < 2 * threads) items *= g.batch[outer++];
    if (threads > 1 && items >= 2 * threads) {
      const StridedGemm rest = inner(g, outer);
      const int64_t grain = std::max<int64_t>(1, int64_t(kGemmTileFlops * double(items) / flops));
      rt::parallel_for(items, grain, [&](int64_t begin, int64_t end) {
        if (outer == 1) {
          Piece piece{g.batch, g.m};
          piece.batch[0] = end - begin;
          return run_piece(a + begin * g.a[0], b + begin * g.b[0], c + begin * g.c[0], g, piece, 1);
        }
        for (int64_t item = begin; item < end; ++item) {
          int64_t left = item, oa = 0, ob = 0, oc = 0;
          for (size_t d = outer; d-- > 0;) {
            const int64_t i = left % g.batch[d];
            left /= g.batch[d];
            oa += i * g.a[d];
            ob += i * g.b[d];
            oc += i * g.c[d];
          }
          run_piece(a + oa, b + ob, c + oc, rest, {rest.batch, g.m}, 1);
        }
      });
      return;
    }
    if (threads > 1 && flops >= kOneDnnThreadsFlops)
      return run_piece(a, b, c, g, {g.batch, g.m}, threads);
    const int64_t want = std::min<int64_t>(threads, int64_t(flops / kGemmTileFlops));
    if (want <= 1 || g.m < 16) return run_piece(a, b, c, g, {g.batch, g.m}, 1);
    const int64_t per = ((g.m + want - 1) / want + 7) / 8 * 8;  // rows in eights
    rt::parallel_for((g.m + per - 1) / per, 1, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t lo = t * per;
        run_piece(a + lo * g.a[nb], b, c + lo * g.c[nb], g, {g.batch, std::min(per, g.m - lo)}, 1);
      }
    });
  } catch (const dnnl::error& e) {
    throw InternalError(std::string("batched matmul: oneDNN failed: ") + e.what());
  }
}

void sgemm_batched(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t k,
                   int64_t n, bool ta, bool tb) {
  // Few products: each tiled over the pool by sgemm, which also learns its layout per shape.
  if (batch < 2 * rt::parallel_threads()) {
    for (int64_t i = 0; i < batch; ++i)
      sgemm(a + i * m * k, b + i * k * n, c + i * m * n, m, k, n, ta, tb);
    return;
  }
  // Contiguous operands; a transposed one is read with its matrix strides swapped.
  StridedGemm g{{batch}, m, n, k, {m * k, k, 1}, {k * n, n, 1}, {m * n, n, 1}};
  if (ta) g.a = {m * k, 1, m};
  if (tb) g.b = {k * n, 1, k};
  sgemm_strided(a, b, c, g);
}

}  // namespace tf::cpu
