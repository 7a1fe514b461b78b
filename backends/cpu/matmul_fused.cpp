// A dense layer, C = act(A * B + bias): a oneDNN matmul primitive with the bias and an eltwise
// post-op (the epilogue applied while C is still in cache), or oneDNN's sgemm followed by a pass
// over C, whichever measured faster for the shape. Neither wins everywhere: on small batches the
// primitive's overhead costs more than the second pass (batch-1 inference: 2x slower).
#include "backends/cpu/matmul_fused.h"

#include "backends/cpu/epilogue.h"
#include "backends/cpu/measure.h"
#include "backends/cpu/onednn.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include <dnnl.hpp>

#include "runtime/parallel.h"
#include "tfjit/errors.h"

namespace tf::cpu {

namespace {

// rows, k, n, act, transpose_a, transpose_b, A's leading dimension (a tile's rows are a block of
// the whole A), threads (a oneDNN primitive runs on as many threads as it was built with).
using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, bool, bool, int64_t, int>;

// The descriptor of a rows x cols operand read with leading dimension ld: a transposed operand is
// the same matrix read with swapped strides.
dnnl::memory::desc operand_md(int64_t rows, int64_t cols, bool transposed, int64_t ld) {
  return {{rows, cols},
          dnnl::memory::data_type::f32,
          transposed ? dnnl::memory::dims{1, ld} : dnnl::memory::dims{ld, 1}};
}

// How a shape runs: the primitive (null until built), and whether the primitive (way 0) or sgemm
// + a pass (way 1).
struct Plan {
  std::shared_ptr<dnnl::matmul> primitive;
  LearnedChoice way;
};

struct Primitives {
  std::mutex mutex;
  // Creating a primitive costs tens of microseconds; a compiled dense layer sees few shapes
  // (and its tiles at most two row counts).
  std::map<Key, Plan> cache;
};

// TFJIT_DENSE_LAYER=fused or separate fixes the choice: the two round differently (in the last
// bits), so a measured choice may differ between runs of the same program.
DenseStrategy initial_strategy() {
  const char* env = std::getenv("TFJIT_DENSE_LAYER");
  std::string v = env ? env : "";
  return v == "fused"      ? DenseStrategy::kFused
         : v == "separate" ? DenseStrategy::kSeparatePass
                           : DenseStrategy::kMeasure;
}

std::atomic<DenseStrategy> strategy{initial_strategy()};

Primitives& primitives() {
  // Leaked on purpose: compiled code may still run during static destruction.
  static Primitives& p = *std::make_unique<Primitives>().release();
  return p;
}

std::shared_ptr<dnnl::matmul> build(const dnnl::engine& engine, const Key& key) {
  auto [m, k, n, act, ta, tb, lda, threads] = key;
  const rt::OneDnnThreads onednn(threads);
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  dnnl::memory::desc a_md = operand_md(m, k, ta, lda), b_md = operand_md(k, n, tb, tb ? k : n),
                     bias_md({1, n}, dt::f32, tag::ab), c_md({m, n}, dt::f32, tag::ab);
  dnnl::post_ops ops;
  append_epilogue(ops, act);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  dnnl::matmul::primitive_desc pd({a_md, b_md, bias_md, c_md}, attr, engine);
  return std::make_shared<dnnl::matmul>(pd);
}

void run_primitive(dnnl::matmul& mm, const float* a, const float* b, const float* bias, float* c,
                   int64_t m, int64_t k, int64_t n, bool ta, bool tb, int64_t lda,
                   int threads = 1) {
  using tag = dnnl::memory::format_tag;
  using dt = dnnl::memory::data_type;
  // oneDNN takes non-const handles; it never writes the inputs.
  dnnl::memory a_mem(operand_md(m, k, ta, lda), onednn_engine(), const_cast<float*>(a));
  dnnl::memory b_mem(operand_md(k, n, tb, tb ? k : n), onednn_engine(), const_cast<float*>(b));
  dnnl::memory bias_mem({{1, n}, dt::f32, tag::ab}, onednn_engine(), const_cast<float*>(bias));
  dnnl::memory c_mem({{m, n}, dt::f32, tag::ab}, onednn_engine(), c);
  const rt::OneDnnThreads onednn(threads);
  dnnl::stream& stream = onednn_stream();
  mm.execute(stream, {{DNNL_ARG_SRC, a_mem},
                      {DNNL_ARG_WEIGHTS, b_mem},
                      {DNNL_ARG_BIAS, bias_mem},
                      {DNNL_ARG_DST, c_mem}});
  stream.wait();
}

void run_separate(const float* a, const float* b, const float* bias, float* c, int64_t m, int64_t k,
                  int64_t n, int64_t act, bool ta, bool tb) {
  sgemm(a, b, c, m, k, n, ta, tb);
  apply_epilogue(c, m, n, bias, nullptr, act);
}

// Without a primitive: oneDNN rejects empty dims, and an empty sum is zero (act(bias)).
void degenerate(const float* bias, float* c, int64_t m, int64_t n, int64_t act) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = activate(bias[j], act);
}

}  // namespace

void sgemm_bias_act(const float* a, const float* b, const float* bias, float* c, int64_t m,
                    int64_t k, int64_t n, int64_t act, bool ta, bool tb) {
  if (act < 0 || act > static_cast<int64_t>(Epilogue::kSigmoid))
    throw InternalError("matmul epilogue: unknown activation code " + std::to_string(act));
  if (m == 0 || n == 0) return;
  if (k == 0) return degenerate(bias, c, m, n, act);
  try {
    Primitives& p = primitives();
    const int64_t lda = ta ? m : k;
    // The plan of a row count run on `threads` (the whole shape's holds the measured choice).
    const int whole = onednn_threads_whole(m, k, n) ? rt::parallel_threads() : 1;
    auto plan_of = [&](int64_t rows, int threads) -> Plan& {  // map nodes stay put
      const Key key{rows, k, n, act, ta, tb, lda, threads};
      std::lock_guard guard(p.mutex);
      Plan& slot = p.cache[key];
      if (!slot.primitive) slot.primitive = build(onednn_engine(), key);
      return slot;
    };
    Plan& plan = plan_of(m, whole);
    // Whole on oneDNN's threads, or row tiles over the pool, each the single-threaded primitive
    // of its row count.
    auto fused = [&] {
      if (whole > 1)
        return run_primitive(*plan.primitive, a, b, bias, c, m, k, n, ta, tb, lda, whole);
      const GemmTiles tiles = gemm_tiles(m, k, n, /*rows_only=*/true);
      if (tiles.count == 1)
        return run_primitive(*plan.primitive, a, b, bias, c, m, k, n, ta, tb, lda);
      rt::parallel_for(tiles.count, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const int64_t lo = t * tiles.per, rows = std::min(m, lo + tiles.per) - lo;
          run_primitive(*plan_of(rows, 1).primitive, ta ? a + lo : a + lo * k, b, bias, c + lo * n,
                        rows, k, n, ta, tb, lda);
        }
      });
    };
    auto separate = [&] { run_separate(a, b, bias, c, m, k, n, act, ta, tb); };
    switch (strategy.load(std::memory_order_relaxed)) {
      case DenseStrategy::kFused:
        return fused();
      case DenseStrategy::kSeparatePass:
        return separate();
      case DenseStrategy::kMeasure:
        break;
    }
    if (2.0 * double(m) * double(k) * double(n) > kMeasuredFlops) return fused();
    // The separate pass's sgemm may still be learning its own layout over these calls: the best
    // of five rounds sees its best layout (four at most) at least once.
    run_learning(plan.way, p.mutex, 2, [&](size_t way) { way == 0 ? fused() : separate(); });
  } catch (const dnnl::error& e) {
    throw InternalError(std::string("matmul epilogue: oneDNN failed: ") + e.what());
  }
}

void set_dense_strategy(DenseStrategy s) { strategy.store(s, std::memory_order_relaxed); }
DenseStrategy dense_strategy() { return strategy.load(std::memory_order_relaxed); }

}  // namespace tf::cpu
