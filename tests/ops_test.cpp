// matmul, reduce_sum and broadcast_to against hand-computed values and float64 loops.
#include "tests/helpers.h"

namespace {

std::vector<double> matmul_ref(const std::vector<double>& a, const std::vector<double>& b,
                               int64_t m, int64_t k, int64_t n) {
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

std::vector<double> ramp(int64_t n, double scale) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = std::fmod(static_cast<double>(i) * 0.37, 3.0) * scale - 1.0;
  return v;
}

}  // namespace

TEST_CASE("matmul matches hand-computed values", "[matmul]") {
  auto a = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  auto b = tf::constant({{5.0f, 6.0f}, {7.0f, 8.0f}});
  CHECK(tf::matmul(a, b).to_vector<float>() == std::vector<float>{19, 22, 43, 50});
  auto ai = tf::constant({{1, 2, 3}});
  auto bi = tf::constant({{1}, {2}, {3}});
  CHECK(tf::matmul(ai, bi).to_vector<int32_t>() == std::vector<int32_t>{14});
}

TEST_CASE("matmul matches float64 loops across dtypes and sizes", "[matmul]") {
  for (auto dtype : {tf::float32, tf::float64, tf::int32, tf::float16}) {
    for (auto [m, k, n] : {std::tuple{1, 1, 1}, {3, 5, 2}, {64, 33, 17}, {0, 4, 3}, {4, 0, 3}}) {
      INFO(tf::dtype_name(dtype) << " " << m << "x" << k << "x" << n);
      auto a = tft::values_of(tft::make(ramp(m * k, dtype == tf::int32 ? 2 : 0.9), {m, k}, dtype));
      auto b = tft::values_of(tft::make(ramp(k * n, dtype == tf::int32 ? 3 : 1.1), {k, n}, dtype));
      if (dtype == tf::int32) {
        for (auto& v : a) v = std::round(v);
        for (auto& v : b) v = std::round(v);
      }
      auto out = tf::matmul(tft::make(a, {m, k}, dtype), tft::make(b, {k, n}, dtype));
      CHECK(out.shape() == tf::TensorShape{m, n});
      auto want = matmul_ref(a, b, m, k, n);
      auto tol = tft::tolerance(dtype);
      auto got = tft::values_of(out);
      for (size_t i = 0; i < want.size(); ++i)  // sums of k terms: scale the tolerance by k
        CHECK(std::abs(got[i] - want[i]) <=
              (tol.atol + tol.rtol * std::abs(want[i])) * std::max(k, 1));
    }
  }
}

TEST_CASE("matmul rejects bad ranks, inner dimensions and dtypes", "[matmul][errors]") {
  CHECK_THROWS_WITH(
      tf::matmul(tf::zeros({2, 3}), tf::zeros({4, 2})),
      Catch::Contains("matmul") && Catch::Contains("(2, 3)") && Catch::Contains("(4, 2)"));
  CHECK_THROWS_AS(tf::matmul(tf::zeros({3}), tf::zeros({3, 1})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::matmul(tf::zeros({2, 2}), tf::zeros({2, 2}, tf::float64)),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::matmul(tf::zeros({2, 2}, tf::bool_), tf::zeros({2, 2}, tf::bool_)),
                  tf::InvalidArgumentError);
}

TEST_CASE("reduce_sum over all axes, one axis, several, negative, keepdims", "[reduce]") {
  auto x = tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  CHECK(tf::reduce_sum(x).item<float>() == 21.0f);
  CHECK(tf::reduce_sum(x).shape() == tf::TensorShape{});
  CHECK(tf::reduce_sum(x, 0).to_vector<float>() == std::vector<float>{5, 7, 9});
  CHECK(tf::reduce_sum(x, 1).to_vector<float>() == std::vector<float>{6, 15});
  CHECK(tf::reduce_sum(x, -1).to_vector<float>() == std::vector<float>{6, 15});
  CHECK(tf::reduce_sum(x, {0, 1}).item<float>() == 21.0f);
  CHECK(tf::reduce_sum(x, 1, true).shape() == tf::TensorShape{2, 1});
  CHECK(tf::reduce_sum(x, {}, true).shape() == tf::TensorShape{1, 1});
  auto cube = tf::constant(std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
                           tf::TensorShape{2, 3, 2});
  CHECK(tf::reduce_sum(cube, {0, 2}).to_vector<int32_t>() == std::vector<int32_t>{14, 22, 30});
  CHECK(tf::reduce_sum(cube, {0, 2}, true).shape() == tf::TensorShape{1, 3, 1});
  CHECK(tf::reduce_sum(tf::zeros({0, 3}), 0).to_vector<float>() == std::vector<float>{0, 0, 0});
}

TEST_CASE("reduce_sum of a long float32 vector stays accurate", "[reduce]") {
  int64_t n = 1 << 22;
  auto x = tf::fill({n}, 0.1);
  double want = static_cast<double>(0.1f) * static_cast<double>(n);
  CHECK(std::abs(tf::reduce_sum(x).item<float>() - want) <= 1e-6 * want);
}

TEST_CASE("reduce_sum rejects out-of-range axes, including extreme values", "[reduce][errors]") {
  auto x = tf::zeros({2, 3});
  CHECK_THROWS_WITH(tf::reduce_sum(x, 2),
                    Catch::Contains("reduce_sum") && Catch::Contains("axis 2"));
  CHECK_THROWS_AS(tf::reduce_sum(x, -3), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::reduce_sum(x, int64_t{0x7fffffff}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::reduce_sum(x, std::numeric_limits<int64_t>::min()), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::reduce_sum(tf::constant({true}), 0), tf::InvalidArgumentError);
}

TEST_CASE("broadcast_to follows NumPy's rules", "[broadcast]") {
  auto row = tf::constant({1, 2, 3});
  CHECK(tf::broadcast_to(row, {2, 3}).to_vector<int32_t>() ==
        std::vector<int32_t>{1, 2, 3, 1, 2, 3});
  auto col = tf::constant({{1}, {2}});
  CHECK(tf::broadcast_to(col, {2, 3}).to_vector<int32_t>() ==
        std::vector<int32_t>{1, 1, 1, 2, 2, 2});
  CHECK(tf::broadcast_to(tf::constant(7.0f), {2}).to_vector<float>() == std::vector<float>{7, 7});
  CHECK_THROWS_AS(tf::broadcast_to(row, {2, 4}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::broadcast_to(row, {-1, 3}), tf::InvalidArgumentError);
}

TEST_CASE("matmul transposes and broadcasts batch dimensions, eagerly and compiled", "[matmul]") {
  auto a = tft::make(ramp(2 * 3 * 4, 1.0), {2, 3, 4}, tf::float32);  // batch of two 3x4
  auto b = tft::make(ramp(4 * 5, 0.5), {4, 5}, tf::float32);         // broadcast over the batch
  auto av = tft::values_of(a), bv = tft::values_of(b);
  std::vector<double> want;
  for (int i = 0; i < 2; ++i) {
    auto part = matmul_ref(std::vector<double>(av.begin() + i * 12, av.begin() + (i + 1) * 12), bv,
                           3, 4, 5);
    want.insert(want.end(), part.begin(), part.end());
  }
  auto check = [&](const tf::Tensor& got) {
    CHECK(got.shape() == tf::TensorShape{2, 3, 5});
    tft::check_close(tft::values_of(got), want, tf::float32, "batched");
  };
  check(tf::matmul(a, b));
  check(tf::matmul(tf::transpose(a, {0, 2, 1}), b, true, false));
  check(tf::matmul(a, tf::transpose(b), false, true));
  for (bool library : {true, false}) {
    auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return tf::matmul(x, y); },
                          tf::FunctionOptions{.matmul_library_call = library});
    check(f(a, b));
  }
  check(tf::reshape(tf::matmul(tf::reshape(a, {2, 1, 3, 4}), b), {2, 3, 5}));  // two batch dims
  // b's gradient sums a's columns over every row of every batch (the rows are one product).
  std::vector<double> want_db(4 * 5);
  for (int k = 0; k < 4; ++k)
    for (int row = 0; row < 6; ++row)
      for (int n = 0; n < 5; ++n) want_db[k * 5 + n] += av[row * 4 + k];
  auto b_gradient = [](const tf::Tensor& x, const tf::Tensor& y) {
    tf::GradientTape tape;
    tape.watch(y);
    return tape.gradient(tf::reduce_sum(tf::matmul(x, y)), {y})[0];
  };
  tft::check_close(tft::values_of(b_gradient(a, b)), want_db, tf::float32, "db eager");
  tft::check_close(tft::values_of(tf::function(b_gradient)(a, b)), want_db, tf::float32,
                   "db compiled");
  // Compiled, b is one operand of one 2-D product: never broadcast over the batch.
  auto batch_times_b = tf::function(
      [](const tf::Tensor& x, const tf::Tensor& y) { return tf::matmul(x, y, false, true); });
  const auto bt = tf::transpose(b);
  check(batch_times_b(a, bt));
  CHECK(batch_times_b.graph("traced", a, bt).find("broadcast_to") == std::string::npos);
  // Integers take the same way; an empty batch gives an empty result of the right shape.
  auto ai = tf::cast(tf::round(a), tf::int32), bi = tf::cast(tf::round(b), tf::int32);
  CHECK(tft::values_of(tf::matmul(ai, bi)) ==
        tft::values_of(
            tf::cast(tf::matmul(tf::cast(ai, tf::float64), tf::cast(bi, tf::float64)), tf::int32)));
  CHECK(tf::matmul(tf::zeros({2, 0, 4}), b).shape() == tf::TensorShape{2, 0, 5});
  CHECK(tft::values_of(tf::matmul(tf::zeros({2, 3, 0}), tf::zeros({0, 5}))) ==
        std::vector<double>(30, 0.0));
  CHECK_THROWS_WITH(tf::matmul(a, tf::zeros({3, 5})),
                    Catch::Contains("inner dimensions") && Catch::Contains("(2, 3, 4) x (3, 5)"));
  CHECK_THROWS_WITH(tf::function([](const tf::Tensor& x, const tf::Tensor& y) {
                      return tf::matmul(x, y);
                    })(a, tf::zeros({3, 5})),
                    Catch::Contains("inner dimensions"));
  CHECK_THROWS_AS(tf::matmul(tf::zeros({2, 3, 4}), tf::zeros({3, 4, 5})), tf::InvalidArgumentError);
}

TEST_CASE("eager batched matmul of many small products matches float64 loops in every layout",
          "[matmul]") {
  // Nine products on two threads: more than two per thread, so float32 runs as sub-batches of
  // oneDNN's batched primitive over the pool.
  const int previous = tf::config::threading::get_intra_op_parallelism_threads();
  tf::config::threading::set_intra_op_parallelism_threads(2);
  const int64_t batch = 9, m = 5, k = 7, n = 3;
  for (auto dtype : {tf::float32, tf::float64, tf::int32, tf::float16})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO(tf::dtype_name(dtype) << " transpose_a " << ta << " transpose_b " << tb);
        auto exact = [&](std::vector<double> v) {  // the values the dtype holds
          if (dtype == tf::int32)
            for (double& x : v) x = std::round(3 * x);
          return tft::values_of(tft::make(v, {static_cast<int64_t>(v.size())}, dtype));
        };
        const auto a = exact(ramp(batch * m * k, 0.9)), b = exact(ramp(batch * k * n, 1.1));
        // Each operand stored transposed where its flag says so.
        auto stored = [&](const std::vector<double>& v, int64_t rows, int64_t cols, bool t) {
          if (!t) return tft::make(v, {batch, rows, cols}, dtype);
          std::vector<double> w(v.size());
          for (int64_t i = 0; i < batch; ++i)
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t c = 0; c < cols; ++c)
                w[(i * cols + c) * rows + r] = v[(i * rows + r) * cols + c];
          return tft::make(w, {batch, cols, rows}, dtype);
        };
        auto got = tft::values_of(tf::matmul(stored(a, m, k, ta), stored(b, k, n, tb), ta, tb));
        std::vector<double> want;
        for (int64_t i = 0; i < batch; ++i) {
          auto part = matmul_ref({a.begin() + i * m * k, a.begin() + (i + 1) * m * k},
                                 {b.begin() + i * k * n, b.begin() + (i + 1) * k * n}, m, k, n);
          want.insert(want.end(), part.begin(), part.end());
        }
        const auto tol = tft::tolerance(dtype);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < want.size(); ++i)
          CHECK(std::abs(got[i] - want[i]) <= (tol.atol + tol.rtol * std::abs(want[i])) * k);
      }
  tf::config::threading::set_intra_op_parallelism_threads(previous);
}

TEST_CASE("tensordot and einsum match loops", "[matmul][einsum]") {
  auto a = tft::make(ramp(2 * 3 * 4, 1.0), {2, 3, 4}, tf::float64);
  auto b = tft::make(ramp(4 * 3 * 5, 1.0), {4, 3, 5}, tf::float64);
  auto av = tft::values_of(a), bv = tft::values_of(b);
  // tensordot over a's (1, 2) and b's (1, 0): out[i, l] = sum_jk a[i, j, k] * b[k, j, l]
  std::vector<double> want(2 * 5, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 5; ++l)
          want[i * 5 + l] += av[i * 12 + j * 4 + k] * bv[k * 15 + j * 5 + l];
  tft::check_close(tft::values_of(tf::tensordot(a, b, {1, 2}, {1, 0})), want, tf::float64,
                   "tensordot");
  tft::check_close(tft::values_of(tf::einsum("ijk,kjl->il", {a, b})), want, tf::float64, "einsum");
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) {
    return tf::einsum("ijk,kjl->il", {x, y});
  });
  tft::check_close(tft::values_of(f(a, b)), want, tf::float64, "compiled einsum");

  auto m = tft::make({1, 2, 3, 4, 5, 6}, {2, 3}, tf::float64);
  CHECK(tft::values_of(tf::einsum("ij->ji", {m})) == std::vector<double>{1, 4, 2, 5, 3, 6});
  CHECK(tft::values_of(tf::einsum("ij->j", {m})) == std::vector<double>{5, 7, 9});
  CHECK(tft::values_of(tf::einsum("ij,ij->", {m, m})) == std::vector<double>{91});
  CHECK(tft::values_of(tf::einsum("i,j->ij", {tft::make({1, 2}, {2}, tf::float64),
                                              tft::make({3, 4, 5}, {3}, tf::float64)})) ==
        std::vector<double>{3, 4, 5, 6, 8, 10});
  CHECK(tft::values_of(tf::tensordot(m, tft::make({1, 1, 1}, {3}, tf::float64), 1)) ==
        std::vector<double>{6, 15});
  CHECK_THROWS_AS(tf::einsum("ii->i", {tf::eye(2)}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::einsum("ij,jk", {m, m}), tf::InvalidArgumentError);  // j: 3 and 2
  CHECK_THROWS_WITH(tf::einsum("ij,jk->ik", {m, m}), Catch::Contains("index 'j'"));
  CHECK_THROWS_AS(tf::einsum("ij,jk->ik", {m}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::tensordot(m, m, 3), tf::InvalidArgumentError);
}

TEST_CASE("einsum contracts three and four operands and infers an implicit output",
          "[matmul][einsum]") {
  // out[i, m] = sum_jkl a[i, j] b[j, k] c[k, l, i] d[l, m]: a chain with a batch index in c.
  auto a = tft::make(ramp(2 * 3, 0.5), {2, 3}, tf::float64);
  auto b = tft::make(ramp(3 * 4, -1.0), {3, 4}, tf::float64);
  auto c = tft::make(ramp(4 * 5 * 2, 0.25), {4, 5, 2}, tf::float64);
  auto d = tft::make(ramp(5 * 3, 2.0), {5, 3}, tf::float64);
  auto av = tft::values_of(a), bv = tft::values_of(b), cv = tft::values_of(c),
       dv = tft::values_of(d);
  std::vector<double> want(2 * 3, 0.0), chain(2 * 4, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        chain[i * 4 + k] += av[i * 3 + j] * bv[j * 4 + k];
        for (int l = 0; l < 5; ++l)
          for (int n = 0; n < 3; ++n)
            want[i * 3 + n] +=
                av[i * 3 + j] * bv[j * 4 + k] * cv[k * 10 + l * 2 + i] * dv[l * 3 + n];
      }
  tft::check_close(tft::values_of(tf::einsum("ij,jk,kli,lm->im", {a, b, c, d})), want, tf::float64,
                   "four operands");
  auto f = tf::function(
      [](const tf::Tensor& w, const tf::Tensor& x, const tf::Tensor& y, const tf::Tensor& z) {
        return tf::einsum("ij,jk,kli,lm->im", {w, x, y, z});
      });
  tft::check_close(tft::values_of(f(a, b, c, d)), want, tf::float64, "four operands, compiled");
  tft::check_close(tft::values_of(tf::einsum("ij,jk", {a, b})), chain, tf::float64,
                   "implicit output ik");
  // Three operands, one index shared by all: sum_i x_i y_i z_i.
  auto v = tft::make({1, 2, 3}, {3}, tf::float64);
  CHECK(tft::values_of(tf::einsum("i,i,i->", {v, v, v})) == std::vector<double>{36});
  CHECK(tft::values_of(tf::einsum("i,i,i", {v, v, v})) == std::vector<double>{36});
}

TEST_CASE("einsum under unknown dims: one unknown group per reshape, else a typed error",
          "[matmul][einsum]") {
  tf::FunctionOptions o;
  o.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 2, 3}, tf::float64),
                                                  tf::TensorSpec({3, 4}, tf::float64)};
  auto f = tf::function(
      [](const tf::Tensor& x, const tf::Tensor& w) {
        return tf::einsum("bij,jk,bij->bik", {x, w, x});
      },
      o);
  auto w = tft::make(ramp(12, 0.5), {3, 4}, tf::float64);
  for (int64_t n : {1, 3}) {
    auto x = tft::make(ramp(n * 6, -1.0), {n, 2, 3}, tf::float64);
    tft::check_close(tft::values_of(f(x, w)),
                     tft::values_of(tf::einsum("bij,jk,bij->bik", {x, w, x})), tf::float64,
                     "unknown batch");
  }
  tf::FunctionOptions two;
  two.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 3}, tf::float64),
                                                    tf::TensorSpec({tf::None, 3}, tf::float64)};
  auto outer = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) {
        return tf::einsum("bi,ci->bc", {a, b});
      },
      two);
  auto a = tft::make(ramp(6, 1.0), {2, 3}, tf::float64);
  CHECK_THROWS_AS(outer(a, a), tf::UnimplementedError);
}
