// Batched GEMMs read through strides (backends/cpu/matmul_strided.cpp) and the compiled graphs
// whose head-split and transposed operands fold into them (compiler/lowering/to_linalg/
// strided_matmul.cpp), checked against float64 loops.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "backends/cpu/matmul_strided.h"
#include "runtime/parallel.h"
#include "tests/helpers.h"

using tft::values_of;

namespace {

// The strides of a logical tensor of `dims` stored with its dims in the order `order` (outermost
// first).
std::vector<int64_t> strides_for(const std::vector<int64_t>& dims,
                                 const std::vector<size_t>& order) {
  std::vector<int64_t> strides(dims.size());
  int64_t s = 1;
  for (size_t i = order.size(); i-- > 0;) {
    strides[order[i]] = s;
    s *= dims[order[i]];
  }
  return strides;
}

int64_t offset(const std::vector<int64_t>& index, const std::vector<int64_t>& strides) {
  return std::inner_product(index.begin(), index.end(), strides.begin(), int64_t{0});
}

// One GEMM's shape, each operand stored with its dims in a rotated order.
struct Layout {
  std::vector<int64_t> batch;
  int64_t m, n, k;
  size_t rotate_a, rotate_b, rotate_c;  // how far each operand's dim order is rotated
};

std::vector<size_t> rotated(size_t rank, size_t by) {
  std::vector<size_t> order(rank);
  std::iota(order.begin(), order.end(), 0);
  std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(by % rank), order.end());
  return order;
}

void check_layout(const Layout& l) {
  const size_t nb = l.batch.size();
  auto dims = [&](int64_t r, int64_t c) {
    std::vector<int64_t> d = l.batch;
    d.insert(d.end(), {r, c});
    return d;
  };
  const auto a_dims = dims(l.m, l.k), b_dims = dims(l.k, l.n), c_dims = dims(l.m, l.n);
  tf::cpu::StridedGemm g{l.batch,
                         l.m,
                         l.n,
                         l.k,
                         strides_for(a_dims, rotated(nb + 2, l.rotate_a)),
                         strides_for(b_dims, rotated(nb + 2, l.rotate_b)),
                         strides_for(c_dims, rotated(nb + 2, l.rotate_c))};
  auto count = [](const std::vector<int64_t>& d) {
    return std::accumulate(d.begin(), d.end(), int64_t{1}, std::multiplies<>());
  };
  std::vector<float> a(static_cast<size_t>(count(a_dims))), b(static_cast<size_t>(count(b_dims)));
  for (size_t i = 0; i < a.size(); ++i) a[i] = float((i * 37 % 101) / 50.0 - 1);
  for (size_t i = 0; i < b.size(); ++i) b[i] = float((i * 53 % 97) / 48.0 - 1);
  std::vector<float> c(static_cast<size_t>(count(c_dims)), -7.0f);  // every element written
  tf::cpu::sgemm_strided(a.data(), b.data(), c.data(), g);
  // Operands read along a matrix dim (as the compiler emits them) run on oneDNN's fast kernels,
  // C too, whichever of its dims is contiguous.
  auto unit = [&](const std::vector<int64_t>& s) { return s[nb] == 1 || s[nb + 1] == 1; };
  if (l.k > 0 && unit(g.a) && unit(g.b) && unit(g.c))
    CHECK(tf::cpu::sgemm_strided_implementation(g).rfind("ref", 0) == std::string::npos);
  const int64_t items = count(l.batch);
  for (int64_t z = 0; z < items; ++z) {
    std::vector<int64_t> bi(nb);
    for (size_t d = nb, rest = static_cast<size_t>(z); d-- > 0;
         rest /= static_cast<size_t>(l.batch[d]))
      bi[d] = static_cast<int64_t>(rest % static_cast<size_t>(l.batch[d]));
    auto at = [&](const std::vector<int64_t>& strides, int64_t r, int64_t col) {
      std::vector<int64_t> index = bi;
      index.insert(index.end(), {r, col});
      return offset(index, strides);
    };
    for (int64_t i = 0; i < l.m; ++i)
      for (int64_t j = 0; j < l.n; ++j) {
        double want = 0;
        for (int64_t p = 0; p < l.k; ++p)
          want += double(a[size_t(at(g.a, i, p))]) * double(b[size_t(at(g.b, p, j))]);
        const double got = c[size_t(at(g.c, i, j))];
        INFO("batch item " << z << ", C[" << i << "][" << j << "]: " << got << " vs " << want);
        REQUIRE(std::abs(got - want) <= 1e-4 * std::max(1.0, std::abs(want)));
      }
  }
}

// Threads for the test's duration, restored after.
struct Threads {
  int saved = tf::rt::parallel_threads();
  explicit Threads(int n) { tf::rt::set_parallel_threads(n); }
  ~Threads() { tf::rt::set_parallel_threads(saved); }
};

}  // namespace

TEST_CASE("the strided GEMM computes every operand layout as a float64 loop does", "[matmul]") {
  const int threads = GENERATE(1, 2);
  const Threads scoped(threads);
  const Layout layouts[] = {
      {{}, 5, 7, 3, 0, 0, 0},          // one product, row-major
      {{}, 6, 5, 4, 1, 1, 1},          // one product, every operand column-major
      {{6}, 9, 8, 5, 0, 2, 0},         // a batch; B batch-inner (its matrices interleaved)
      {{2, 3}, 7, 5, 4, 1, 0, 2},      // two batch dims, each operand in another order
      {{4, 2}, 33, 17, 16, 3, 1, 1},   // batch chunks over two threads
      {{2, 2}, 256, 64, 64, 0, 0, 0},  // outer dim under 2 threads: items of both dims
      {{2}, 256, 64, 128, 2, 2, 2},    // row tiles, each operand column-major
      {{8, 4}, 16, 16, 8, 2, 2, 2},    // attention's head split, as folded graphs run it
      {{2, 2}, 6, 5, 3, 3, 0, 3},      // C column-major (attention's dK): Cᵀ = Bᵀ Aᵀ
      {{3, 2, 2}, 4, 3, 2, 4, 1, 3},   // three batch dims; on 2 threads items of the first two
      {{5}, 4, 3, 0, 0, 1, 2},         // k == 0: C is zero through its strides
  };
  for (const Layout& l : layouts) {
    INFO(threads << " threads, batch rank " << l.batch.size() << ", m " << l.m << " n " << l.n
                 << " k " << l.k << ", rotations " << l.rotate_a << l.rotate_b << l.rotate_c);
    check_layout(l);
  }
}

TEST_CASE("the strided GEMM refuses stride lists that do not match its batch dims", "[matmul]") {
  std::vector<float> x(64);
  tf::cpu::StridedGemm g{{2}, 2, 2, 2, {4, 2, 1}, {4, 2}, {4, 2, 1}};
  REQUIRE_THROWS_AS(tf::cpu::sgemm_strided(x.data(), x.data(), x.data(), g), tf::InternalError);
}

namespace {

// Deterministic float32 values in [-1, 1).
tf::Tensor values(const tf::TensorShape& shape, int seed) {
  std::vector<double> v(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>((i * 7919 + static_cast<size_t>(seed) * 104729) % 2000) / 1000 - 1;
  return tft::make(v, shape, tf::float32);
}

constexpr int64_t kB = 2, kS = 5, kH = 3, kD = 4;  // batch, sequence, heads, head size

// Multi-head attention's products without the softmax: heads split from [B*S, H*D] rows, scores
// q kᵀ, out = scores v with the heads merged back, as a transformer traces them.
tf::Tensor attention(const tf::Tensor& q, const tf::Tensor& k, const tf::Tensor& v) {
  auto heads = [](const tf::Tensor& x) {
    return tf::reshape(tf::transpose(tf::reshape(x, {kB, kS, kH, kD}), {0, 2, 1, 3}),
                       {kB * kH, kS, kD});
  };
  auto scores = tf::matmul(heads(q), heads(k), false, true);
  auto out = tf::matmul(scores, heads(v));
  return tf::reshape(tf::transpose(tf::reshape(out, {kB, kH, kS, kD}), {0, 2, 1, 3}),
                     {kB * kS, kH * kD});
}

// The same in float64 loops on [B*S, H*D] row-major inputs.
std::vector<double> attention_reference(const tf::Tensor& qt, const tf::Tensor& kt,
                                        const tf::Tensor& vt) {
  auto q = values_of(qt), k = values_of(kt), v = values_of(vt);
  auto at = [](const std::vector<double>& x, int64_t b, int64_t s, int64_t h, int64_t d) {
    return x[size_t((b * kS + s) * kH * kD + h * kD + d)];
  };
  std::vector<double> out(size_t(kB * kS * kH * kD));
  for (int64_t b = 0; b < kB; ++b)
    for (int64_t h = 0; h < kH; ++h)
      for (int64_t i = 0; i < kS; ++i)
        for (int64_t d = 0; d < kD; ++d) {
          double sum = 0;
          for (int64_t j = 0; j < kS; ++j) {
            double score = 0;
            for (int64_t e = 0; e < kD; ++e) score += at(q, b, i, h, e) * at(k, b, j, h, e);
            sum += score * at(v, b, j, h, d);
          }
          out[size_t((b * kS + i) * kH * kD + h * kD + d)] = sum;
        }
  return out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("compiled attention reads its heads through strides: no transpose is copied",
          "[function][matmul]") {
  auto q = values({kB * kS, kH * kD}, 1), k = values({kB * kS, kH * kD}, 2),
       v = values({kB * kS, kH * kD}, 3);
  auto f = tf::function(attention);
  const std::string linalg = f.graph("linalg", q, k, v);
  INFO(linalg);
  CHECK(count(linalg, "call @tfjit_sgemm_strided(") == 2);
  CHECK(count(linalg, "linalg.generic") == 0);  // no transpose left: every layout folded
  const auto want = attention_reference(q, k, v);
  for (const tf::Tensor& got : {f(q, k, v), attention(q, k, v)}) {
    auto g = values_of(got);
    REQUIRE(g.size() == want.size());
    for (size_t i = 0; i < g.size(); ++i) {
      INFO("element " << i << ": " << g[i] << " vs " << want[i]);
      REQUIRE(std::abs(g[i] - want[i]) <= 1e-4 * std::max(1.0, std::abs(want[i])));
    }
  }
}

TEST_CASE("attention's gradients fold their transposes too and match eager", "[function][matmul]") {
  auto q = values({kB * kS, kH * kD}, 4), k = values({kB * kS, kH * kD}, 5),
       v = values({kB * kS, kH * kD}, 6);
  auto grads = [](const tf::Tensor& q, const tf::Tensor& k, const tf::Tensor& v) {
    tf::GradientTape tape;
    tape.watch(q);
    tape.watch(k);
    tape.watch(v);
    auto loss = tf::reduce_sum(tf::square(attention(q, k, v)));
    return tape.gradient(loss, {q, k, v});
  };
  auto f = tf::function(grads);
  const std::string linalg = f.graph("linalg", q, k, v);
  INFO(linalg);
  CHECK(count(linalg, "call @tfjit_sgemm_strided(") == 6);
  // No value in the heads' layouts [B, S, H, D] or [B, H, S, D]: every transpose folded.
  CHECK(count(linalg, "tensor<2x5x3x4xf32>") == 0);
  CHECK(count(linalg, "tensor<2x3x5x4xf32>") == 0);
  auto eager = grads(q, k, v);
  auto compiled = f(q, k, v);
  REQUIRE(compiled.size() == 3);
  for (size_t t = 0; t < 3; ++t) {
    auto want = values_of(eager[t]), got = values_of(compiled[t]);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("gradient " << t << " element " << i << ": " << got[i] << " vs " << want[i]);
      REQUIRE(std::abs(got[i] - want[i]) <= 1e-4 * std::max(1.0, std::abs(want[i])));
    }
  }
}
