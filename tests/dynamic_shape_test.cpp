// TensorFlow's signature rules: input_signature with unknown dims (compiled once for every size),
// calls that do not match, run-time checks of tracing's shape assumptions, reduce_retracing.
#include <functional>
#include <sstream>
#include <utility>

#include "core/shape_rules.h"
#include "tests/helpers.h"

using tft::values_of;

namespace {

// Rows 0..n-1 of a (n, 3) float32 tensor: element (i, j) = i * 3 + j - 4 (so some are negative).
tf::Tensor batch(int64_t n) {
  std::vector<double> v;
  for (int64_t i = 0; i < n * 3; ++i) v.push_back(static_cast<double>(i) - 4);
  return tft::make(v, {n, 3}, tf::float32);
}

const tf::TensorSpec kBatchOf3({tf::unknown, 3}, tf::float32);

}  // namespace

TEST_CASE("input_signature [None, 3] compiles once for every batch size", "[dynamic]") {
  auto f = tf::function(
      [](const tf::Tensor& x) {
        return std::vector<tf::Tensor>{x * x + 2.0f * x, tf::reduce_sum(x, 1),
                                       tf::reduce_sum(x, 0)};
      },
      {kBatchOf3});
  for (int64_t n : {1, 2, 5, 7}) {
    auto x = batch(n);
    auto out = f(x);
    REQUIRE(out.size() == 3);
    CHECK(out[0].shape() == tf::TensorShape{n, 3});
    CHECK(out[1].shape() == tf::TensorShape{n});
    CHECK(out[2].shape() == tf::TensorShape{3});
    // Hand-computed: element v -> v^2 + 2v; row i sums (3i-4) + (3i-3) + (3i-2) = 9i - 9;
    // column j sums over i of (3i + j - 4).
    std::vector<double> want0, want1, want2(3, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < 3; ++j) {
        double v = static_cast<double>(3 * i + j - 4);
        want0.push_back(v * v + 2 * v);
        want2[static_cast<size_t>(j)] += v;
      }
      want1.push_back(9.0 * static_cast<double>(i) - 9.0);
    }
    tft::check_close(values_of(out[0]), want0, tf::float32, "x*x + 2x");
    tft::check_close(values_of(out[1]), want1, tf::float32, "row sums");
    tft::check_close(values_of(out[2]), want2, tf::float32, "sum over the dynamic axis");
  }
  CHECK(f.trace_count() == 1);
  CHECK(f.graph("traced", batch(2)).find("tensor<?x3xf32>") != std::string::npos);
}

TEST_CASE("a call that does not match the input_signature raises, and the function still works",
          "[dynamic]") {
  auto f = tf::function([](const tf::Tensor& x) { return x + 1.0f; }, {kBatchOf3});
  CHECK_THROWS_AS(f(tf::zeros({2, 4})), tf::InvalidArgumentError);
  try {
    f(tf::zeros({2, 4}));
  } catch (const tf::InvalidArgumentError& e) {
    std::string what = e.what();
    CHECK(what.find("tensor argument 0") != std::string::npos);
    CHECK(what.find("TensorSpec(shape=(None, 3), dtype=float32)") != std::string::npos);
    CHECK(what.find("(2, 4)") != std::string::npos);
  }
  CHECK_THROWS_AS(f(tf::zeros({3})), tf::InvalidArgumentError);                  // rank
  CHECK_THROWS_AS(f(tf::zeros({2, 3}, tf::float64)), tf::InvalidArgumentError);  // dtype
  CHECK(f.trace_count() == 0);
  auto y = f(tf::ones({2, 3}));
  CHECK(values_of(y) == std::vector<double>(6, 2.0));
  CHECK(f.trace_count() == 1);
}

TEST_CASE("unknown dims assumed equal while tracing are checked at the call", "[dynamic]") {
  const tf::TensorSpec any({tf::unknown}, tf::float32);
  auto add =
      tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return a + b; }, {any, any});
  CHECK(values_of(add(tft::make({1, 2}, {2}, tf::float32),
                      tft::make({10, 20}, {2}, tf::float32))) == std::vector<double>{11, 22});
  // ? + ? with sizes 2 and 3: a typed error naming the op, before any compiled code runs.
  try {
    add(tf::zeros({2}), tf::zeros({3}));
    FAIL("expected InvalidArgumentError");
  } catch (const tf::InvalidArgumentError& e) {
    std::string what = e.what();
    CHECK(what.find("tfjit.binary 'add'") != std::string::npos);
    CHECK(what.find("(2,)") != std::string::npos);
    CHECK(what.find("(3,)") != std::string::npos);
  }
  // ? broadcast against a static 3 was assumed to be 3; a 1 there is refused, not misread.
  auto bias = tf::function(
      [](const tf::Tensor& a) {
        return a + tf::constant({1.0f, 2.0f, 3.0f});
      },
      {any});
  CHECK(values_of(bias(tf::zeros({3}))) == std::vector<double>{1, 2, 3});
  CHECK_THROWS_AS(bias(tf::zeros({1})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(bias(tf::zeros({4})), tf::InvalidArgumentError);
  CHECK(values_of(bias(tf::ones({3}))) == std::vector<double>{2, 3, 4});
  CHECK(add.trace_count() == 1);
  CHECK(bias.trace_count() == 1);
}

TEST_CASE("matmul, mean, softmax and an MLP forward with a dynamic batch compile once",
          "[dynamic]") {
  // w: (3, 2), b: (2,), captured as constants.
  auto w = tft::make({1, -1, 0.5, 2, -2, 1}, {3, 2}, tf::float32);
  auto b = tft::make({0.5, -0.5}, {2}, tf::float32);
  auto mlp = tf::function(
      [&](const tf::Tensor& x) {
        auto h = tf::maximum(tf::matmul(x, w) + b, tf::zeros({}));  // relu(x w + b)
        return std::vector<tf::Tensor>{h, tf::softmax(h, -1), tf::reduce_mean(h, 0),
                                       tf::reduce_mean(h)};
      },
      {kBatchOf3});
  for (int64_t n : {1, 4, 6}) {
    auto x = batch(n);
    auto out = mlp(x);
    // References, hand-computed row by row: h_i = relu(x_i w + b).
    std::vector<double> h, sm, col_mean(2, 0.0);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      double r[3];
      for (int j = 0; j < 3; ++j) r[j] = static_cast<double>(3 * i + j - 4);
      double h0 = std::max(0.0, r[0] * 1 + r[1] * 0.5 + r[2] * -2 + 0.5);
      double h1 = std::max(0.0, r[0] * -1 + r[1] * 2 + r[2] * 1 - 0.5);
      h.insert(h.end(), {h0, h1});
      double m = std::max(h0, h1), e0 = std::exp(h0 - m), e1 = std::exp(h1 - m);
      sm.insert(sm.end(), {e0 / (e0 + e1), e1 / (e0 + e1)});
      col_mean[0] += h0 / static_cast<double>(n);
      col_mean[1] += h1 / static_cast<double>(n);
      total += h0 + h1;
    }
    tft::check_close(values_of(out[0]), h, tf::float32, "relu(x w + b)");
    tft::check_close(values_of(out[1]), sm, tf::float32, "softmax");
    tft::check_close(values_of(out[2]), col_mean, tf::float32, "mean over the batch");
    tft::check_close(values_of(out[3]), {total / static_cast<double>(2 * n)}, tf::float32,
                     "mean of everything");
    // Compiled equals eager.
    tf::config::run_functions_eagerly(true);
    auto eager = mlp(x);
    tf::config::run_functions_eagerly(false);
    for (size_t k = 0; k < out.size(); ++k)
      tft::check_close(values_of(out[k]), values_of(eager[k]), tf::float32, "eager");
  }
  CHECK(mlp.trace_count() == 1);
}

TEST_CASE("matmul with an unknown inner dim, transpose and reshape", "[dynamic]") {
  const tf::TensorSpec rows({2, tf::unknown}, tf::float32);
  auto f = tf::function(
      [](const tf::Tensor& a) {
        auto at = tf::transpose(a);              // (?, 2)
        auto gram = tf::matmul(a, at);           // (2, 2): inner dim unknown
        auto flat = tf::reshape(a, {-1});        // (?)
        auto back = tf::reshape(flat, {-1, 2});  // (?, 2)
        return std::vector<tf::Tensor>{gram, flat, back};
      },
      {rows});
  auto a = tft::make({1, 2, 3, 4, 5, 6}, {2, 3}, tf::float32);
  auto out = f(a);
  CHECK(values_of(out[0]) == std::vector<double>{14, 32, 32, 77});
  CHECK(values_of(out[1]) == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(out[2].shape() == tf::TensorShape{3, 2});
  auto a4 = tft::make({1, 0, 1, 1, 0, 1, 1, 0}, {2, 4}, tf::float32);
  out = f(a4);
  CHECK(values_of(out[0]) == std::vector<double>{3, 1, 1, 2});
  CHECK(out[2].shape() == tf::TensorShape{4, 2});
  CHECK(f.trace_count() == 1);
}

TEST_CASE("ops that need static sizes raise UnimplementedError naming the op", "[dynamic]") {
  // From the end of a dim known only at the call to a position from its start, and a shape
  // computed by arithmetic on run-time sizes.
  auto mixed = tf::function([](const tf::Tensor& x) { return x(tf::slice(-2, 3)); }, {kBatchOf3});
  auto doubled = tf::function([](const tf::Tensor& x) { return tf::reshape(x, tf::shape(x) * 2); },
                              {kBatchOf3});
  for (auto [name, call] :
       {std::pair<std::string, std::function<void()>>{"index", [&] { mixed(batch(2)); }},
        {"reshape", [&] { doubled(batch(2)); }}}) {
    INFO(name);
    try {
      call();
      FAIL("expected UnimplementedError");
    } catch (const tf::UnimplementedError& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  // Static sizes in the signature: fine.
  auto fixed = tf::function(
      [](const tf::Tensor& x) {
        return tf::concat({x, x}, 0);
      },
      {tf::TensorSpec({2, 3}, tf::float32)});
  CHECK(fixed(batch(2)).shape() == tf::TensorShape{4, 3});
}

TEST_CASE("broadcasting unknown against 1, where, and an empty batch", "[dynamic]") {
  using tf::TensorSpec;
  auto outer = tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return a * b; },
                            {TensorSpec({tf::unknown, 1}), TensorSpec({1, tf::unknown})});
  auto a = tft::make({1, 2}, {2, 1}, tf::float32), b = tft::make({1, 10, 100}, {1, 3}, tf::float32);
  CHECK(values_of(outer(a, b)) == std::vector<double>{1, 10, 100, 2, 20, 200});
  auto abs = tf::function(
      [](const tf::Tensor& x) { return tf::where(x > tf::zeros({}), x, tf::zeros_like(x) - x); },
      {kBatchOf3});
  CHECK(values_of(abs(batch(2))) == std::vector<double>{4, 3, 2, 1, 0, 1});
  CHECK(abs(tf::zeros({0, 3})).shape() == tf::TensorShape{0, 3});
  CHECK(abs.trace_count() == 1);
}

TEST_CASE("prints and control flow with unknown dims", "[dynamic]") {
  std::ostringstream out;
  std::ostream* previous = tf::set_print_output(&out);
  auto shout = tf::function(
      [](const tf::Tensor& x) {
        tf::print("x:", x);
        return x + 1.0f;
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  CHECK(values_of(shout(tft::make({1, -3}, {2}, tf::float32))) == std::vector<double>{2, -2});
  CHECK(values_of(shout(tft::make({5}, {1}, tf::float32))) == std::vector<double>{6});
  tf::set_print_output(previous);
  CHECK(out.str() == "x: [ 1. -3.]\nx: [5.]\n");
  // Results with an unknown dim: a cond's take its branches' shape, a loop's their initial one.
  auto branch = tf::function(
      [](const tf::Tensor& x) {
        return tf::cond(
            tf::reduce_sum(x) > 0.f, [&] { return x * 2.f; }, [&] { return -x; });
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  CHECK(values_of(branch(tft::make({1, 2}, {2}, tf::float32))) == std::vector<double>{2, 4});
  CHECK(values_of(branch(tft::make({-1, 0, -2}, {3}, tf::float32))) ==
        std::vector<double>{1, 0, 2});
  auto doubling = tf::function(
      [](const tf::Tensor& x) {
        return tf::while_loop(
            [](const std::vector<tf::Tensor>& v) { return tf::reduce_sum(v[0]) < 100.f; },
            [](const std::vector<tf::Tensor>& v) { return std::vector<tf::Tensor>{v[0] * 2.f}; },
            {x})[0];
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  CHECK(values_of(doubling(tft::make({1, 2}, {2}, tf::float32))) ==
        std::vector<double>{64, 128});  // sum 3 * 2^6 = 192
  CHECK(values_of(doubling(tft::make({30, 30, 30, 30}, {4}, tf::float32))) ==
        std::vector<double>{30, 30, 30, 30});
  CHECK(doubling.trace_count() == 1);
  // Code that may not run is not held to tracing's assumptions: a guarded sum of two vectors of
  // unknown sizes, called with unequal sizes, takes the other branch.
  const tf::TensorSpec any({tf::unknown}, tf::float32);
  auto guarded = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) {
        return tf::cond(
            tf::equal(tf::size(a), tf::size(b)), [&] { return a + b; }, [&] { return a; });
      },
      {any, any});
  auto a = tft::make({1, 2, 3}, {3}, tf::float32);
  CHECK(values_of(guarded(a, tft::make({10, 20}, {2}, tf::float32))) ==
        std::vector<double>{1, 2, 3});
  CHECK(values_of(guarded(a, tft::make({10, 20, 30}, {3}, tf::float32))) ==
        std::vector<double>{11, 22, 33});
  // Such a call runs the body eagerly (compiled loops would be sized wrongly), so when the
  // broken code does run it raises its typed error, as TensorFlow's would.
  auto unguarded = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) {
        return tf::cond(
            tf::size(a) > 0, [&] { return a + b; }, [&] { return a; });
      },
      {any, any});
  CHECK_THROWS_AS(unguarded(a, tft::make({10, 20}, {2}, tf::float32)), tf::InvalidArgumentError);
  CHECK(values_of(unguarded(a, a)) == std::vector<double>{2, 4, 6});
  CHECK(unguarded.trace_count() == 1);
  // A branch whose results have static shapes reads the predicate of a graph with unknown dims.
  auto total = tf::function(
      [](const tf::Tensor& x) {
        tf::Tensor s = tf::reduce_sum(x);
        return tf::cond(
            s > 0.f, [&] { return s * 2.f; }, [&] { return -s; });
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  CHECK(total(tft::make({1, 2, 3}, {3}, tf::float32)).item<float>() == 12.f);
  CHECK(total(tft::make({-1, -2}, {2}, tf::float32)).item<float>() == 3.f);
  // A loop of several static loop variables reading x of an unknown size.
  auto thrice = tf::function(
      [](const tf::Tensor& x) {
        return tf::while_loop([](const std::vector<tf::Tensor>& v) { return v[0] < 3; },
                              [&](const std::vector<tf::Tensor>& v) {
                                return std::vector<tf::Tensor>{v[0] + 1, v[1] + tf::reduce_sum(x)};
                              },
                              {tf::constant(0), tf::constant(0.f)})[1];
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  CHECK(thrice(tft::make({1, 2, 3}, {3}, tf::float32)).item<float>() == 18.f);
  CHECK(thrice(tft::make({-1}, {1}, tf::float32)).item<float>() == -3.f);
}

TEST_CASE("shape and size of a tensor with unknown dims are computed at the call", "[dynamic]") {
  auto dims = tf::function(
      [](const tf::Tensor& x) {
        return std::vector<tf::Tensor>{tf::shape(x), tf::size(x), tf::rank(x)};
      },
      {kBatchOf3});
  for (int64_t n : {0, 1, 5}) {
    auto out = dims(batch(n));
    CHECK(values_of(out[0]) == std::vector<double>{static_cast<double>(n), 3});
    CHECK(out[1].item<int32_t>() == n * 3);
    CHECK(out[2].item<int32_t>() == 2);
  }
  CHECK(dims.trace_count() == 1);
}

TEST_CASE("reduce_retracing generalises the dims that changed", "[dynamic]") {
  tf::FunctionOptions options;
  options.reduce_retracing = true;
  auto f = tf::function([](const tf::Tensor& x) { return tf::reduce_sum(x * 2.0f, 1); }, options);
  CHECK(values_of(f(batch(2))) == std::vector<double>{-18, 0});
  CHECK(f.trace_count() == 1);
  CHECK(values_of(f(batch(4))) == std::vector<double>{-18, 0, 18, 36});
  CHECK(f.trace_count() == 2);
  CHECK(f.last_retrace_reason() == "tensor argument 0: shape (2, 3) -> (4, 3)");
  CHECK(values_of(f(batch(5))) == std::vector<double>{-18, 0, 18, 36, 54});
  CHECK(f.trace_count() == 2);  // (None, 3) serves it
  CHECK(f.graph("traced", batch(7)).find("tensor<?x3xf32>") != std::string::npos);
  CHECK(f.trace_count() == 2);
  // Without reduce_retracing every shape traces.
  auto g = tf::function([](const tf::Tensor& x) { return tf::reduce_sum(x * 2.0f, 1); });
  for (int64_t n : {2, 4, 5}) g(batch(n));
  CHECK(g.trace_count() == 3);
}

TEST_CASE("an unknown-rank spec specialises per rank with every dim unknown", "[dynamic]") {
  auto f = tf::function([](const tf::Tensor& x) { return tf::reduce_sum(x * x); },
                        {tf::TensorSpec::unknown_rank(tf::float32)});
  CHECK(f(tft::make({1, 2, 3}, {3}, tf::float32)).item<float>() == 14.0f);
  CHECK(f(tft::make({1, 2}, {2}, tf::float32)).item<float>() == 5.0f);
  CHECK(f.trace_count() == 1);
  CHECK(f(batch(2)).item<float>() == 16.0f + 9 + 4 + 1 + 0 + 1);
  CHECK(f(batch(3)).item<float>() == 16.0f + 9 + 4 + 1 + 0 + 1 + 4 + 9 + 16);
  CHECK(f.trace_count() == 2);  // one graph per rank
  CHECK_THROWS_AS(f(tf::zeros({2}, tf::int32)), tf::InvalidArgumentError);
}

TEST_CASE("shape rules with unknown dims", "[dynamic]") {
  const int64_t U = tf::unknown;
  using S = tf::TensorShape;
  CHECK(tf::core::broadcast_shapes(S{U, 3}, S{1, 3}).shape == S{U, 3});  // ? with 1 -> ?
  CHECK(tf::core::broadcast_shapes(S{U, 3}, S{5, 3}).shape == S{5, 3});  // ? with n -> n
  CHECK(tf::core::broadcast_shapes(S{U, 1}, S{1, U}).shape == S{U, U});
  CHECK(tf::core::broadcast_shapes(S{U}, S{U}).shape == S{U});  // assumed equal
  CHECK(!tf::core::broadcast_shapes(S{U, 3}, S{4}).ok());
  CHECK(tf::core::matmul_shape(S{U, 3}, S{3, 2}).shape == S{U, 2});
  CHECK(tf::core::matmul_shape(S{2, U}, S{4, 5}).shape == S{2, 5});
  CHECK(!tf::core::matmul_shape(S{U, 3}, S{4, 2}).ok());
  CHECK(tf::core::reduce_shape(S{U, 3}, {0}, true) == S{1, 3});
  CHECK(tf::core::reshape_shape(S{U, 3}, {-1}).shape == S{U});
  CHECK(tf::core::reshape_shape(S{U, 4}, {-1, 2, 2}).shape == S{U, 2, 2});
  CHECK(!tf::core::reshape_shape(S{U, 3}, {-1, 0}).ok());  // -1 cannot be inferred
  CHECK(tf::core::concat_shape({S{U, 3}, S{2, 3}}, 0).shape == S{U, 3});
  CHECK(tf::core::match_shape(S{U, 3}, S{7, 3}).empty());
  CHECK(!tf::core::match_shape(S{U, 3}, S{7, 4}).empty());
  CHECK(!tf::core::match_shape(S{U, 3}, S{3}).empty());
}

// Issue 18: ShapeProgram moved the shape of a value returned twice, so the second result got a
// one-element buffer (a heap overflow), and a variable assigned from it became a scalar.
TEST_CASE("a value returned twice under unknown dims keeps its shape in both results",
          "[dynamic]") {
  auto twice = tf::function(
      [](const tf::Tensor& x) {
        auto y = x * 2.0f;
        return std::vector<tf::Tensor>{y, y};
      },
      {kBatchOf3});
  auto out = twice(batch(4));
  REQUIRE(out.size() == 2);
  CHECK(out[0].shape() == tf::TensorShape{4, 3});
  CHECK(out[1].shape() == tf::TensorShape{4, 3});
  CHECK(values_of(out[1]) == values_of(out[0]));

  tf::Variable v(tf::zeros({3}));
  auto step = tf::function(
      [&](const tf::Tensor& x) {
        v.assign_add(x);
        return v.read_value();
      },
      {tf::TensorSpec({tf::unknown}, tf::float32)});
  for (int call = 1; call <= 3; ++call) {
    auto r = step(tf::constant({1.0f, 2.0f, 3.0f}));
    CHECK(r.shape() == tf::TensorShape{3});
    const auto f = static_cast<float>(call);
    CHECK(v.read_value().to_vector<float>() == std::vector<float>{f, 2 * f, 3 * f});
  }
}
