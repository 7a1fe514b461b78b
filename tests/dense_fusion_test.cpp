// Compiled dense layers: matmul + row bias + activation fused into one oneDNN call
// (compiler/lowering/fuse_matmul_epilogue.cpp), checked against a float64 reference; patterns
// that differ slightly are not fused and still correct.
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "backends/cpu/matmul_fused.h"
#include "tests/helpers.h"

using tft::values_of;

namespace {

enum class Act { kNone, kRelu, kTanh, kSigmoid };

tf::Tensor apply(Act act, const tf::Tensor& x) {
  switch (act) {
    case Act::kRelu:
      return tf::relu(x);
    case Act::kTanh:
      return tf::tanh(x);
    case Act::kSigmoid:
      return tf::sigmoid(x);
    default:
      return x;
  }
}

double apply(Act act, double x) {
  switch (act) {
    case Act::kRelu:
      return x > 0 ? x : 0;
    case Act::kTanh:
      return std::tanh(x);
    case Act::kSigmoid:
      return 1 / (1 + std::exp(-x));
    default:
      return x;
  }
}

// Deterministic values in [-1, 1), float32 tensors of `shape`.
tf::Tensor values(const tf::TensorShape& shape, int seed) {
  std::vector<double> v(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>((i * 7919 + static_cast<size_t>(seed) * 104729) % 2000) / 1000 - 1;
  return tft::make(v, shape, tf::float32);
}

// act(x w + b) in float64, b indexed by `bias_index(i, j)`.
std::vector<double> reference(const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b,
                              Act act, const std::function<int64_t(int64_t, int64_t)>& bias_index) {
  auto xv = values_of(x), wv = values_of(w), bv = values_of(b);
  int64_t m = x.shape()[0], k = x.shape()[1], n = w.shape()[1];
  std::vector<double> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = bv[static_cast<size_t>(bias_index(i, j))];
      for (int64_t p = 0; p < k; ++p) s += xv[i * k + p] * wv[p * n + j];
      out[i * n + j] = apply(act, s);
    }
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    REQUIRE(std::abs(got[i] - want[i]) <= 1e-4 * std::max(1.0, std::abs(want[i])));
  }
}

bool fused(const std::string& graph) {
  return graph.find("call @tfjit_sgemm_bias_act(") != std::string::npos &&
         graph.find("call @tfjit_sgemm(") == std::string::npos;
}

}  // namespace

namespace {
// Runs a test under each way the fused call may run a shape (oneDNN's primitive with post-ops,
// sgemm then a pass over C, or whichever measured faster), restoring the setting after.
struct Strategies {
  tf::cpu::DenseStrategy strategy =
      GENERATE(tf::cpu::DenseStrategy::kMeasure, tf::cpu::DenseStrategy::kFused,
               tf::cpu::DenseStrategy::kSeparatePass);
  tf::cpu::DenseStrategy saved = tf::cpu::dense_strategy();
  Strategies() { tf::cpu::set_dense_strategy(strategy); }
  ~Strategies() { tf::cpu::set_dense_strategy(saved); }
};
}  // namespace

TEST_CASE("a compiled dense layer act(x w + b) is one fused call and matches float64",
          "[function][fusion]") {
  Strategies strategies;
  INFO("strategy " << int(strategies.strategy));
  struct Shape {
    int64_t m, k, n;
  };
  for (Shape s : {Shape{5, 7, 13}, Shape{64, 33, 40}, Shape{17, 128, 9}}) {
    auto x = values({s.m, s.k}, 1), w = values({s.k, s.n}, 2), b = values({s.n}, 3);
    for (Act act : {Act::kNone, Act::kRelu, Act::kTanh, Act::kSigmoid}) {
      INFO("shape " << s.m << "x" << s.k << "x" << s.n << ", activation " << int(act));
      auto want = reference(x, w, b, act, [](int64_t, int64_t j) { return j; });
      auto f = tf::function([act](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
        return apply(act, tf::matmul(x, w) + b);
      });
      CHECK(fused(f.graph("bufferized", x, w, b)));
      check_close(values_of(f(x, w, b)), want);
      // Bias first: the same layer.
      auto g = tf::function([act](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
        return apply(act, b + tf::matmul(x, w));
      });
      CHECK(fused(g.graph("bufferized", x, w, b)));
      check_close(values_of(g(x, w, b)), want);
      // Weights stored transposed: the transpose is the fused call's flag.
      auto wt = tf::transpose(w);
      auto t = tf::function([act](const tf::Tensor& x, const tf::Tensor& wt, const tf::Tensor& b) {
        return apply(act, tf::matmul(x, wt, false, true) + b);
      });
      CHECK(fused(t.graph("bufferized", x, wt, b)));
      check_close(values_of(t(x, wt, b)), want);
      // The same graph unfused gives the same values.
      auto u = tf::function([act](const tf::Tensor& x, const tf::Tensor& w,
                                  const tf::Tensor& b) { return apply(act, tf::matmul(x, w) + b); },
                            tf::FunctionOptions{.fuse_matmul_epilogue = false});
      CHECK_FALSE(fused(u.graph("bufferized", x, w, b)));
      check_close(values_of(u(x, w, b)), want);
    }
  }
}

TEST_CASE("fused relu keeps tfjit's semantics: NaN gives 0, as eager relu does",
          "[function][fusion]") {
  Strategies strategies;
  INFO("strategy " << int(strategies.strategy));
  auto x = values({3, 4}, 1), w = values({4, 5}, 2), b = values({5}, 3);
  auto xv = values_of(x);
  xv[4] = std::numeric_limits<double>::quiet_NaN();  // row 1 of the product is NaN
  x = tft::make(xv, {3, 4}, tf::float32);
  auto body = [](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
    return tf::relu(tf::matmul(x, w) + b);
  };
  auto f = tf::function(body);
  REQUIRE(fused(f.graph("bufferized", x, w, b)));
  auto got = values_of(f(x, w, b)), eager = values_of(body(x, w, b));
  for (size_t i = 5; i < 10; ++i) CHECK(eager[i] == 0.0);
  CHECK(got == eager);
}

TEST_CASE("near-miss dense layers are not fused and stay correct", "[function][fusion]") {
  auto x = values({6, 10}, 1), w = values({10, 11}, 2);
  SECTION("per-row bias (m x 1)") {
    auto b = values({6, 1}, 3);
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
      return tf::relu(tf::matmul(x, w) + b);
    });
    CHECK_FALSE(fused(f.graph("bufferized", x, w, b)));
    check_close(values_of(f(x, w, b)),
                reference(x, w, b, Act::kRelu, [](int64_t i, int64_t) { return i; }));
  }
  SECTION("full (m x n) bias") {
    auto b = values({6, 11}, 3);
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
      return tf::relu(tf::matmul(x, w) + b);
    });
    CHECK_FALSE(fused(f.graph("bufferized", x, w, b)));
    check_close(values_of(f(x, w, b)),
                reference(x, w, b, Act::kRelu, [](int64_t i, int64_t j) { return i * 11 + j; }));
  }
  SECTION("the product is also returned") {
    auto b = values({11}, 3);
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
      auto p = tf::matmul(x, w);
      return std::vector<tf::Tensor>{p, tf::relu(p + b)};
    });
    CHECK_FALSE(fused(f.graph("bufferized", x, w, b)));
    auto out = f(x, w, b);
    REQUIRE(out.size() == 2);
    check_close(values_of(out[0]), values_of(tf::matmul(x, w)));
    check_close(values_of(out[1]),
                reference(x, w, b, Act::kRelu, [](int64_t, int64_t j) { return j; }));
  }
  SECTION("another activation (softplus) after the bias") {
    auto b = values({11}, 3);
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& w, const tf::Tensor& b) {
      return tf::softplus(tf::matmul(x, w) + b);
    });
    CHECK_FALSE(fused(f.graph("bufferized", x, w, b)));
    check_close(values_of(f(x, w, b)), values_of(tf::softplus(tf::matmul(x, w) + b)));
  }
}

TEST_CASE("a dense layer with an unknown batch dim is fused for every batch size",
          "[function][fusion][dynamic]") {
  auto w = values({12, 7}, 2), b = values({7}, 3);
  auto f = tf::function(
      [&](const tf::Tensor& x) { return tf::relu(tf::matmul(x, w) + b); },
      tf::FunctionOptions{.input_signature = std::vector{tf::TensorSpec({tf::unknown, 12})}});
  CHECK(fused(f.graph("bufferized", values({3, 12}, 1))));
  for (int64_t m : {1, 3, 9}) {
    auto x = values({m, 12}, 1);
    check_close(values_of(f(x)),
                reference(x, w, b, Act::kRelu, [](int64_t, int64_t j) { return j; }));
  }
  CHECK(f.trace_count() == 1);
}
