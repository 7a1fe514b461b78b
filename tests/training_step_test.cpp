// The compiled path on the workloads users run (tools/workloads.h): every GEMM a library call,
// transposes folded into GEMM flags, gradients only where the tape needs them, the thread
// setting honoured, and compiled training steps equal to eager ones.
#include <omp.h>
#include <tfjit/tfjit.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "backends/cpu/matmul_fused.h"
#include "backends/cpu/measure.h"
#include "backends/cpu/transpose.h"
#include "compiler/compiler.h"
#include "runtime/parallel.h"
#include "tools/workloads.h"

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// C = op(A) op(B) in float64, row-major, over the last two axes of (batch, rows, cols) data.
std::vector<double> reference_matmul(const std::vector<float>& a, const std::vector<float>& b,
                                     int64_t batch, int64_t m, int64_t k, int64_t n, bool ta,
                                     bool tb) {
  std::vector<double> c(static_cast<size_t>(batch * m * n));
  for (int64_t s = 0; s < batch; ++s)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += double(a[s * m * k + (ta ? p * m + i : i * k + p)]) *
                 double(b[s * k * n + (tb ? j * k + p : p * n + j)]);
        c[s * m * n + i * n + j] = acc;
      }
  return c;
}

}  // namespace

TEST_CASE("compiled GEMMs with transposed operands run as flagged library calls and match float64",
          "[training]") {
  for (int64_t batch : {1, 3}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        const int64_t m = 5, k = 7, n = 4;
        auto shape = [&](int64_t rows, int64_t cols) {
          return batch == 1 ? std::vector<int64_t>{rows, cols}
                            : std::vector<int64_t>{batch, rows, cols};
        };
        auto a = workloads::wave(shape(ta ? k : m, ta ? m : k), 1.0, 0.1);
        auto b = workloads::wave(shape(tb ? n : k, tb ? k : n), 1.0, 0.7);
        // Traced transposes (as gradients produce them) rather than matmul's own flags.
        auto swap = [&](const tf::Tensor& t) {
          return batch == 1 ? tf::transpose(t, {1, 0}) : tf::transpose(t, {0, 2, 1});
        };
        auto f = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
          return tf::matmul(ta ? swap(x) : x, tb ? swap(y) : y);
        });
        INFO("batch " << batch << " transpose_a " << ta << " transpose_b " << tb);
        auto got = f(a, b).to_vector<float>();
        auto want =
            reference_matmul(a.to_vector<float>(), b.to_vector<float>(), batch, m, k, n, ta, tb);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5));
        // A 2-D product keeps one transpose at most as a loop (with both, a's), the other its
        // call's flag; a batched one reads both through strides.
        auto bufferized = f.graph("bufferized", a, b);
        CHECK(count(bufferized, "call @tfjit_sgemm") == 1);
        CHECK(count(bufferized, "linalg.generic") == (ta && tb && batch == 1 ? 1u : 0u));
      }
    }
  }
}

TEST_CASE("matmul's gradient computes only the gradients the tape needs", "[training]") {
  tf::Variable w(workloads::wave({8, 4}, 1.0, 0.3), "w");
  auto x = workloads::wave({16, 8}, 1.0, 0.9);  // not watched: no x gradient GEMM
  auto step = tf::function([&](const tf::Tensor& in) {
    tf::GradientTape tape;
    auto loss = tf::reduce_sum(tf::square(tf::matmul(in, w.read_value())));
    return tape.gradient(loss, std::vector<tf::Variable>{w})[0];
  });
  CHECK(count(step.graph("traced", x), "tfjit.matmul") == 2);  // forward, and x^T g
  // The value: d/dw sum((xw)^2) = 2 x^T (x w), by float64 loops.
  auto xv = x.to_vector<float>(), wv = w.read_value().to_vector<float>();
  auto xw = reference_matmul(xv, wv, 1, 16, 8, 4, false, false);
  std::vector<float> g2(xw.begin(), xw.end());
  for (auto& v : g2) v *= 2;
  auto want = reference_matmul(xv, g2, 1, 8, 16, 4, true, false);
  auto got = step(x).to_vector<float>();
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-4));
}

TEST_CASE("intra-op threads: set and get, and the same results with 1, 2 and 3 threads",
          "[training]") {
  namespace threading = tf::config::threading;
  CHECK_THROWS_AS(threading::set_intra_op_parallelism_threads(-1), tf::InvalidArgumentError);
  CHECK_THROWS_AS(threading::set_inter_op_parallelism_threads(-2), tf::InvalidArgumentError);
  const int64_t n = int64_t{1} << 19;  // above the threshold of every parallel path
  auto x = tf::fill({n}, 0.5);
  auto rows = tf::reshape(x, {512, 1024});
  auto f = tf::function([](const tf::Tensor& t) { return tf::reduce_sum(t * t + 1.0f, 1); });
  for (int threads : {1, 2, 3, 0}) {
    INFO(threads << " threads");
    threading::set_intra_op_parallelism_threads(threads);
    CHECK(threading::get_intra_op_parallelism_threads() == threads);
    CHECK(tf::reduce_sum(x).item<float>() == Approx(0.5 * double(n)));  // one long reduction
    CHECK((x + x).to_vector<float>()[n - 1] == 1.0f);                   // elementwise, split
    auto sums = f(rows).to_vector<float>();                             // compiled, split
    CHECK(sums.front() == Approx(1024 * 1.25));
    CHECK(sums.back() == Approx(1024 * 1.25));
    auto m = tf::matmul(tf::ones({64, 64}), tf::ones({64, 64}));  // oneDNN on the same pool
    CHECK(m.to_vector<float>()[0] == 64.0f);
  }
  threading::set_inter_op_parallelism_threads(2);
  CHECK(threading::get_inter_op_parallelism_threads() == 2);
  threading::set_inter_op_parallelism_threads(0);
}

TEST_CASE("the intra-op setting is the number of threads work runs on", "[training]") {
  for (int threads : {1, 3}) {
    tf::config::threading::set_intra_op_parallelism_threads(threads);
    CHECK(tf::rt::parallel_threads() == threads);
    // Each chunk waits (a few seconds at most) until `threads` threads hold one: the caller and
    // threads - 1 workers take part, and no more.
    std::mutex mutex;
    std::condition_variable all_there;
    std::set<std::thread::id> seen;
    tf::rt::parallel_for(int64_t{1} << 20, tf::rt::kParallelGrain, [&](int64_t, int64_t) {
      std::unique_lock lock(mutex);
      seen.insert(std::this_thread::get_id());
      all_there.notify_all();
      all_there.wait_for(lock, std::chrono::seconds(5),
                         [&] { return seen.size() >= static_cast<size_t>(threads); });
    });
    CHECK(seen.size() == static_cast<size_t>(threads));
  }
  tf::config::threading::set_intra_op_parallelism_threads(0);
}

TEST_CASE("parallel_for covers the range once with nested concurrent and failing jobs",
          "[training]") {
  tf::config::threading::set_intra_op_parallelism_threads(3);
  const int64_t n = 1'000'003, grain = 1000;
  // Catch2's assertions are not thread-safe: chunks count what they saw, the test checks it.
  std::atomic<int> short_chunks{0}, nested_elsewhere{0};
  auto cover = [&] {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    tf::rt::parallel_for(n, grain, [&](int64_t begin, int64_t end) {
      if (end - begin < grain && end < n) short_chunks++;  // only the last may be shorter
      // A nested job runs inline on this thread.
      const auto self = std::this_thread::get_id();
      tf::rt::parallel_for(end - begin, 1, [&](int64_t b, int64_t e) {
        if (std::this_thread::get_id() != self) nested_elsewhere++;
        for (int64_t i = begin + b; i < begin + e; ++i) hits[static_cast<size_t>(i)]++;
      });
    });
    return std::count_if(hits.begin(), hits.end(), [](const auto& h) { return h.load() == 1; });
  };
  CHECK(cover() == n);
  // Two user threads at once: one holds the pool, the other runs its job itself.
  int64_t other = 0;
  std::thread t([&] { other = cover(); });
  CHECK(cover() == n);
  t.join();
  CHECK(other == n);
  CHECK_THROWS_AS(tf::rt::parallel_for(n, grain,
                                       [&](int64_t begin, int64_t) {
                                         if (begin > 0) throw tf::InvalidArgumentError("chunk");
                                       }),
                  tf::InvalidArgumentError);
  CHECK(cover() == n);  // the pool is usable after a failed job
  CHECK(short_chunks == 0);
  CHECK(nested_elsewhere == 0);
  // oneDNN runs single-threaded inside tfjit's kernels; the caller's OpenMP setting survives.
  const int before = omp_get_max_threads();
  omp_set_num_threads(3);
  auto m = tf::matmul(tf::ones({512, 512}), tf::ones({512, 512})).to_vector<float>();
  CHECK(std::all_of(m.begin(), m.end(), [](float v) { return v == 512.0f; }));
  CHECK(omp_get_max_threads() == 3);
  omp_set_num_threads(before);
  tf::config::threading::set_intra_op_parallelism_threads(0);
}

TEST_CASE("threaded compiled loops inside a while_loop with unknown dims, and their NaN max",
          "[training]") {
  // Each iteration's ops run as kernels through the thread pool (unknown dims always do); the
  // kernel's captures travel in a struct allocated once per call, not per iteration.
  auto f = tf::function(
      [](const tf::Tensor& x) {
        auto out = tf::while_loop([](const std::vector<tf::Tensor>& v) { return v[1] < 50; },
                                  [](const std::vector<tf::Tensor>& v) {
                                    return std::vector{v[0] * 0.5f + 1.0f, v[1] + 1};
                                  },
                                  {x, tf::constant(0)});
        return std::vector{out[0], tf::reduce_max(out[0], 1)};
      },
      tf::FunctionOptions{.input_signature = std::vector{tf::TensorSpec({tf::unknown, 1000})}});
  for (int64_t rows : {0, 3, 300}) {
    INFO(rows << " rows");
    std::vector<float> v(static_cast<size_t>(rows * 1000));
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 97);
    if (rows > 1) v[1000 + 999] = NAN;  // row 1's last element
    auto out = f(tf::constant(v, tf::TensorShape{rows, 1000}));
    auto x = out[0].to_vector<float>(), mx = out[1].to_vector<float>();
    REQUIRE(x.size() == v.size());
    for (size_t i = 0; i < v.size(); i += 997) {
      double want = v[i];
      for (int k = 0; k < 50; ++k) want = want * 0.5 + 1.0;
      if (std::isnan(v[i]))
        CHECK(std::isnan(x[i]));
      else
        CHECK(x[i] == Approx(want).epsilon(1e-6));
    }
    for (int64_t r = 0; r < rows; ++r) {
      if (r == 1) {
        CHECK(std::isnan(mx[r]));
      } else {
        float want = -INFINITY;
        for (int64_t c = 0; c < 1000; ++c) want = std::max(want, x[r * 1000 + c]);
        CHECK(mx[r] == want);
      }
    }
  }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("benchmark training steps: every GEMM is a library call and compiled trains as eager",
          "[training]") {
  workloads::Mlp small({784, 512, 512, 10}, 128), wide({1024, 2048, 2048, 1024}, 64);
  workloads::TransformerBlock transformer;
  for (workloads::Model* model : std::vector<workloads::Model*>{&small, &wide, &transformer}) {
    INFO(model->name);
    auto eager = [&](const tf::Tensor& x, const tf::Tensor& y) { return model->step(x, y); };
    auto compiled = tf::function(eager);
    auto graph = tf::compiler::Graph::parse(compiled.graph("traced", model->x, model->y));
    auto stats = graph->stats();
    CHECK(stats.gemm_loops == 0);
    // 3 GEMMs per dense layer and step (forward, two gradients; the input's gradient of the
    // first layer is not needed), 24 in the transformer block.
    int64_t gemms = model == &transformer ? 24 : 3 * 3 - 1;
    CHECK(stats.gemm_calls == gemms);
    std::vector<float> losses[2];
    for (int mode = 0; mode < 2; ++mode) {
      model->reset();
      for (int i = 0; i < 3; ++i)
        losses[mode].push_back(
            (mode ? compiled(model->x, model->y) : eager(model->x, model->y)).item<float>());
    }
    CHECK(compiled.trace_count() == 1);
    for (int i = 0; i < 3; ++i) CHECK(losses[1][i] == Approx(losses[0][i]).epsilon(1e-4));
    CHECK(losses[0][2] < losses[0][0]);
  }
}

TEMPLATE_TEST_CASE(
    "the transpose kernel moves every element of 2-, 4- and 8-byte types, in register blocks and "
    "the edges around them",
    "[training]", uint16_t, uint32_t, uint64_t) {
  for (int threads : {1, 2}) {
    tf::config::threading::set_intra_op_parallelism_threads(threads);
    for (auto [rows, cols] : {std::array<int64_t, 2>{1, 1},
                              {7, 5},
                              {8, 8},
                              {13, 37},
                              {64, 300},
                              {1000, 999},
                              {1024, 256}})
      for (int64_t ld : {cols, cols + 5}) {  // rows apart by more than their length: a sub-matrix
        INFO(rows << " x " << cols << ", rows " << ld << " apart, " << threads << " threads");
        std::vector<TestType> src(static_cast<size_t>(rows * ld)), dst(rows * cols, TestType(-1));
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<TestType>(i * 2654435761u);
        tf::cpu::transpose_words(src.data(), dst.data(), rows, cols, ld, sizeof(TestType));
        int64_t wrong = 0;
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j) wrong += dst[j * rows + i] != src[i * ld + j];
        CHECK(wrong == 0);
      }
  }
  tf::config::threading::set_intra_op_parallelism_threads(0);
}

// Large enough to be split: GEMM tiles (rows or columns, transposed operands read in place) and
// convolution sub-batches of two sizes, whose filter gradients are summed over the sub-batches.
TEST_CASE("GEMM tiles, copied layouts and convolution sub-batches over the pool match float64",
          "[training]") {
  auto max_error = [](const tf::Tensor& got, const tf::Tensor& want) {
    auto g = tf::cast(got, tf::float64).to_vector<double>();
    auto w = want.to_vector<double>();
    REQUIRE(g.size() == w.size());
    double worst = 0, scale = 1;
    for (size_t i = 0; i < g.size(); ++i) {
      const double error = std::abs(g[i] - w[i]);
      if (!(error <= worst)) worst = error;  // NaN included
      scale = std::max(scale, std::abs(w[i]));
    }
    return worst / scale;
  };
  for (int threads : {2, 3}) {
    INFO(threads << " threads");
    tf::config::threading::set_intra_op_parallelism_threads(threads);
    tf::random::set_seed(7);
    for (auto [m, k, n] :
         {std::array<int64_t, 3>{300, 200, 170}, {40, 300, 900}, {5, 13, 7}, {136, 264, 120}}) {
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          INFO(m << "x" << k << "x" << n << " ta " << ta << " tb " << tb);
          auto a = ta ? tf::random::normal({k, m}) : tf::random::normal({m, k});
          auto b = tb ? tf::random::normal({n, k}) : tf::random::normal({k, n});
          auto want = tf::matmul(tf::cast(a, tf::float64), tf::cast(b, tf::float64), ta, tb);
          // The layouts take turns over a shape's first calls (every one right), then the one
          // learnt gives the same bits at every call.
          const int learning_calls = tf::cpu::LearnedChoice::kRounds * 4;  // four layouts at most
          for (int call = 0; call < learning_calls; ++call)
            CHECK(max_error(tf::matmul(a, b, ta, tb), want) < 1e-5);
          auto learnt = tf::matmul(a, b, ta, tb);
          CHECK(max_error(learnt, want) < 1e-5);
          CHECK(tf::reduce_all(tf::equal(learnt, tf::matmul(a, b, ta, tb))).item<bool>());
          for (int copies = 0; copies < 4; ++copies) {
            INFO("copied transposed: " << copies);
            std::vector<float> c(static_cast<size_t>(m * n));
            tf::cpu::sgemm_copying(static_cast<const float*>(a.data()),
                                   static_cast<const float*>(b.data()), c.data(), m, k, n, ta, tb,
                                   copies);
            CHECK(max_error(tf::constant(c, {m, n}), want) < 1e-5);
          }
          auto bias = tf::random::normal({n});
          tf::cpu::set_dense_strategy(tf::cpu::DenseStrategy::kFused);  // the row tiles
          auto dense = tf::function([&](const tf::Tensor& x, const tf::Tensor& w) {
            return tf::relu(tf::matmul(x, w, ta, tb) + bias);
          });
          CHECK(max_error(dense(a, b), tf::relu(want + tf::cast(bias, tf::float64))) < 1e-5);
          tf::cpu::set_dense_strategy(tf::cpu::DenseStrategy::kMeasure);
        }
    }
    // Batched products in sub-batches (compiled), and one of over 1 GFLOP on oneDNN's threads.
    auto a3 = tf::random::normal({9, 128, 96}), b3 = tf::random::normal({9, 96, 112});
    auto batched =
        tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return tf::matmul(x, y); });
    CHECK(max_error(batched(a3, b3),
                    tf::matmul(tf::cast(a3, tf::float64), tf::cast(b3, tf::float64))) < 1e-5);
    auto big_a = tf::random::normal({1024, 512}), big_b = tf::random::normal({512, 1024});
    CHECK(max_error(tf::matmul(big_a, big_b, false, false),
                    tf::matmul(tf::cast(big_a, tf::float64), tf::cast(big_b, tf::float64))) < 1e-5);
    // Batch 7 in 4 (2 threads) or 6 (3 threads) sub-batches of two sizes; SAME, stride 2.
    auto x = tf::random::normal({7, 33, 33, 32});
    auto w = tf::random::normal({3, 3, 32, 32});
    auto gradients = [](const tf::Tensor& x, const tf::Tensor& w) {
      tf::GradientTape tape;
      tape.watch(x);
      tape.watch(w);
      auto y = tf::nn::conv2d(x, w, {2}, "SAME");
      auto loss = tf::reduce_sum(y * y);
      auto g = tape.gradient(loss, {x, w});
      return std::vector{y, g[0], g[1]};
    };
    auto got = gradients(x, w);
    auto want = gradients(tf::cast(x, tf::float64), tf::cast(w, tf::float64));
    CHECK(max_error(got[0], want[0]) < 1e-5);
    CHECK(max_error(got[1], want[1]) < 1e-4);  // sums of squares: larger values
    CHECK(max_error(got[2], want[2]) < 1e-4);
  }
  tf::config::threading::set_intra_op_parallelism_threads(0);
}
