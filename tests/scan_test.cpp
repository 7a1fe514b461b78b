// One parametrised suite over the scan table (ops/scan_ops.def): every cumulative op x claimed
// dtype x axis x exclusive x reverse, eager and compiled, against float64 loops; unknown dims;
// gradients against central differences; bad input.
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "ops/op_info.h"
#include "tests/gradient_helpers.h"
#include "tests/helpers.h"

namespace {

using tft::make;
using tft::values_of;

using ScanFn = tf::Tensor (*)(const tf::Tensor&, int64_t, bool, bool);
struct ScanCase {
  const char* name;
  ScanFn op;
  double identity;
  double (*combine)(double, double);
};
const ScanCase kScans[] = {
    {"cumsum", tf::cumsum, 0, [](double a, double x) { return a + x; }},
    {"cumprod", tf::cumprod, 1, [](double a, double x) { return a * x; }},
    {"cummax", tf::cummax, -INFINITY, [](double a, double x) { return std::max(a, x); }},
    {"cummin", tf::cummin, INFINITY, [](double a, double x) { return std::min(a, x); }},
    {"cumulative_logsumexp", tf::cumulative_logsumexp, -INFINITY,
     [](double a, double x) { return std::isinf(a) ? x : std::log(std::exp(a) + std::exp(x)); }},
};

// Reference: the scan of `v` (row-major, `shape`) along `axis`, in float64.
std::vector<double> reference(const std::vector<double>& v, const tf::TensorShape& shape,
                              int64_t axis, bool exclusive, bool reverse, const ScanCase& c,
                              double identity) {
  int64_t outer = 1, n = shape[axis], inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
  for (int64_t d = axis + 1; d < shape.rank(); ++d) inner *= shape[d];
  std::vector<double> out(v.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < inner; ++k) {
      double acc = identity;
      for (int64_t s = 0; s < n; ++s) {
        const int64_t i = reverse ? n - 1 - s : s;
        const auto at = static_cast<size_t>((o * n + i) * inner + k);
        if (exclusive) out[at] = acc;
        acc = c.combine(acc, v[at]);
        if (!exclusive) out[at] = acc;
      }
    }
  return out;
}

const std::vector<std::pair<tf::TensorShape, int64_t>> kShapes = {
    {{7}, 0},    {{3, 5}, 0}, {{3, 5}, 1},       {{2, 3, 4}, 1}, {{2, 3, 1100}, 1},
    {{4, 0}, 1}, {{0, 3}, 0}, {{1, 2, 3, 1}, 3},  // a unit axis beside another unit dim
                                                  // (tfjit-fuzz: compiled read wrong)
};

}  // namespace

TEST_CASE("every cumulative op of the table has a reference in this suite", "[scan]") {
  for (int i = 0; i < tf::ops::kNumScans; ++i) {
    std::string name = tf::ops::op_info(static_cast<tf::ops::ScanOp>(i)).name;
    INFO(name);
    CHECK(
        std::any_of(std::begin(kScans), std::end(kScans), [&](auto& c) { return c.name == name; }));
  }
}

TEST_CASE("cumulative ops match float64 loops for every claimed dtype, eagerly and compiled",
          "[scan]") {
  for (const auto& c : kScans) {
    const auto& info = tf::ops::op_info(*tf::ops::find_scan_op(c.name));
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (!info.dtypes.contains(dtype)) continue;
      for (const auto& [shape, axis] : kShapes)
        for (bool exclusive : {false, true})
          for (bool reverse : {false, true}) {
            INFO(c.name << " " << tf::dtype_name(dtype) << " " << shape.to_string() << " axis "
                        << axis << " exclusive " << exclusive << " reverse " << reverse);
            std::vector<double> v(static_cast<size_t>(shape.num_elements()));
            for (size_t i = 0; i < v.size(); ++i) {  // products of up to 5 stay representable
              double x = std::fmod(static_cast<double>(i) * 0.77, 2.5) - 0.9;
              v[i] = tf::is_floating(dtype) ? x : std::round(x * 2);
              if (dtype == tf::uint8 || (c.name == std::string("cumprod") && shape[axis] > 5))
                v[i] = tf::is_floating(dtype) ? 1 + x / 8 : std::fabs(v[i]) + (i % 2);
            }
            v = values_of(make(v, shape, dtype));
            double identity = c.identity;
            if (!tf::is_floating(dtype) && std::isinf(identity))  // the type's lowest / highest
              identity = values_of(identity < 0 ? tf::reduce_max(tf::zeros({0}, dtype))
                                                : tf::reduce_min(tf::zeros({0}, dtype)))[0];
            auto want = reference(v, shape, axis, exclusive, reverse, c, identity);
            if (c.name == std::string("cumprod") && !tf::is_floating(dtype))  // wraps as stored
              for (auto& w : want) w = values_of(tf::cast(make({w}, {1}, tf::float64), dtype))[0];
            for (auto& w : want) w = tft::stored(w, dtype);
            auto x = make(v, shape, dtype);
            tft::check_close(values_of(c.op(x, axis, exclusive, reverse)), want, dtype, "eager");
            if (dtype == tf::uint8) continue;  // not compiled yet
            auto f = tf::function(
                [&](const tf::Tensor& t) { return c.op(t, axis, exclusive, reverse); });
            tft::check_close(values_of(f(x)), want, dtype, "compiled");
          }
    }
  }
}

TEST_CASE("cumulative ops compile once for unknown dims and run at every size", "[scan][dynamic]") {
  auto f = tf::function([](const tf::Tensor& x) { return tf::cumsum(x, 1) + tf::cummax(x, 0); },
                        {tf::TensorSpec({tf::unknown, tf::unknown}, tf::float32)});
  for (int64_t rows : {1, 3, 6})
    for (int64_t cols : {1, 4}) {
      std::vector<double> v(static_cast<size_t>(rows * cols));
      for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(1.3 * double(i));
      auto x = make(v, {rows, cols}, tf::float32);
      auto eager = values_of(tf::cumsum(x, 1) + tf::cummax(x, 0));
      tft::check_close(values_of(f(x)), eager, tf::float32, "unknown dims");
    }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("cumulative_logsumexp is stable where exp over- and underflows", "[scan]") {
  auto x = tf::constant({-1000.0f, 0.0f, 1000.0f, 1000.0f});
  auto want = std::vector<double>{-1000, 0, 1000, 1000 + std::log(2.0)};
  tft::check_close(values_of(tf::cumulative_logsumexp(x)), want, tf::float32, "eager");
  auto f = tf::function([](const tf::Tensor& t) { return tf::cumulative_logsumexp(t); });
  tft::check_close(values_of(f(x)), want, tf::float32, "compiled");
}

TEST_CASE("cumulative ops have gradients, eager and compiled, matching central differences",
          "[scan][gradient]") {
  for (const auto& c : kScans)
    for (bool exclusive : {false, true})
      for (bool reverse : {false, true})
        for (int64_t axis : {0, 1}) {
          // Distinct values (cummax/cummin ties have a one-sided derivative), away from 0
          // (cumprod's rule divides by x).
          std::vector<double> v(12);
          for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 + std::fmod(double(i) * 0.618, 1.0);
          auto x = make(v, {3, 4}, tf::float64);
          // An exclusive scan's first output is the combiner's identity, infinite for some: it
          // is a constant, left out of the checked sum.
          tft::check_gradients(
              [&](const std::vector<tf::Tensor>& in) {
                auto y = c.op(in[0], axis, exclusive, reverse);
                return tf::where(tf::is_finite(y), y, tf::zeros_like(y));
              },
              {x},
              std::string(c.name) + " axis " + std::to_string(axis) +
                  (exclusive ? " exclusive" : "") + (reverse ? " reverse" : ""),
              1e-5);
        }
}

TEST_CASE("cumulative ops differentiate twice", "[scan][gradient]") {
  // d/dx sum(cumsum(x)^2) = reverse_cumsum(2 cumsum(x)); its Jacobian is 2 L^T L (L lower
  // triangular of ones): on 3 elements, 2 * [[3, 2, 1], [2, 2, 1], [1, 1, 1]].
  auto x = tf::constant({1.0, 2.0, 3.0});
  tf::GradientTape outer;
  outer.watch(x);
  tf::Tensor g;
  {
    tf::GradientTape inner;
    inner.watch(x);
    auto y = tf::reduce_sum(tf::square(tf::cumsum(x)));
    g = inner.gradient(y, x);
  }
  CHECK(values_of(g) == std::vector<double>{2 * (1 + 3 + 6), 2 * (3 + 6), 2 * 6});
  auto h = outer.gradient(tf::reduce_sum(g * tf::constant({1.0, 0.0, 0.0})), x);
  CHECK(values_of(h) == std::vector<double>{6, 4, 2});
}

TEST_CASE("cumulative ops reject bad axes, dtypes and scalars naming the op", "[scan][errors]") {
  auto x = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}});
  CHECK_THROWS_WITH(tf::cumsum(x, 2), Catch::Contains("cumsum") && Catch::Contains("axis"));
  CHECK_THROWS_AS(tf::cumsum(x, -3), tf::InvalidArgumentError);
  CHECK_THROWS_WITH(tf::cumulative_logsumexp(tf::constant({1, 2})),
                    Catch::Contains("cumulative_logsumexp") && Catch::Contains("int32"));
  CHECK_THROWS_AS(tf::cummax(tf::constant({true, false})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::cumprod(tf::constant(3.0f)), tf::InvalidArgumentError);
  auto f = tf::function([](const tf::Tensor& t) { return tf::cumsum(t, 5); });
  CHECK_THROWS_AS(f(x), tf::InvalidArgumentError);
}

// Adversarial arguments in every mode (eager, compiled, compiled with unknown dims, gradients):
// each call succeeds with the eager values or raises a tf::Error, never anything else.
TEST_CASE("cumulative ops give values or typed errors for adversarial arguments in every mode",
          "[scan][errors]") {
  std::mt19937 rng(7);
  const std::vector<tf::DType> dtypes = {tf::float32, tf::float64, tf::int32,    tf::uint8,
                                         tf::bool_,   tf::float16, tf::complex64};
  const std::vector<int64_t> axes = {
      0, 1, 2, -1, -3, 7, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  const std::vector<tf::TensorShape> shapes = {{}, {0}, {5}, {3, 0}, {2, 3}, {1, 1, 4}};
  int values = 0, errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const auto& c = kScans[rng() % std::size(kScans)];
    const tf::DType dtype = dtypes[rng() % dtypes.size()];
    const tf::TensorShape shape = shapes[rng() % shapes.size()];
    const int64_t axis = axes[rng() % axes.size()];
    const bool exclusive = rng() % 2, reverse = rng() % 2;
    std::vector<double> v(static_cast<size_t>(shape.num_elements()));
    for (auto& x : v)
      x = std::vector<double>{-1e300, -2, 0, 1.5, 3, 1e300, NAN, INFINITY}[rng() % 8];
    tf::Tensor x = dtype == tf::complex64 ? tf::cast(make(v, shape, tf::float32), tf::complex64)
                                          : make(v, shape, dtype);
    INFO(c.name << " " << tf::dtype_name(dtype) << " " << shape.to_string() << " axis " << axis);
    auto attempt = [&](auto&& run) {
      try {
        run();
        ++values;
      } catch (const tf::Error&) {
        ++errors;
      }
    };
    attempt([&] { c.op(x, axis, exclusive, reverse); });
    attempt([&] {
      auto f = tf::function([&](const tf::Tensor& t) { return c.op(t, axis, exclusive, reverse); });
      f(x);
    });
    if (shape.rank() > 0)
      attempt([&] {
        std::vector<int64_t> unknown(static_cast<size_t>(shape.rank()), tf::unknown);
        auto f =
            tf::function([&](const tf::Tensor& t) { return c.op(t, axis, exclusive, reverse); },
                         {tf::TensorSpec(tf::TensorShape(unknown), dtype)});
        f(x);
      });
    attempt([&] {
      tf::GradientTape tape;
      tape.watch(x);
      auto y = tf::reduce_sum(c.op(x, axis, exclusive, reverse));
      tape.gradient(y, x);
    });
  }
  CHECK(values > 0);
  CHECK(errors > 0);
}
