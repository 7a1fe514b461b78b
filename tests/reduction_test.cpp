// One parametrised suite over the reduction table (every reduction x claimed dtype x axes, eager
// and compiled, against float64 references), plus the composite reductions built on it.
#include <functional>

#include "runtime/kernels.h"
#include "tests/helpers.h"

namespace {

using tft::make;
using tft::values_of;

struct ReductionCase {
  const char* name;
  tf::Tensor (*op)(const tf::Tensor&, tf::Axes, bool);
  double identity;
  double (*combine)(double, double);
};
const ReductionCase kReductions[] = {
    {"reduce_sum", tf::reduce_sum, 0, [](double a, double x) { return a + x; }},
    {"reduce_prod", tf::reduce_prod, 1, [](double a, double x) { return a * x; }},
    {"reduce_max", tf::reduce_max, -INFINITY, [](double a, double x) { return std::max(a, x); }},
    {"reduce_min", tf::reduce_min, INFINITY, [](double a, double x) { return std::min(a, x); }},
    {"reduce_any", tf::reduce_any, 0, [](double a, double x) { return double(a != 0 || x != 0); }},
    {"reduce_all", tf::reduce_all, 1, [](double a, double x) { return double(a != 0 && x != 0); }},
};

// Reference: reduce `v` of `shape` over sorted `axes` with keepdims=false, in float64.
std::vector<double> reference(const std::vector<double>& v, const tf::TensorShape& shape,
                              const std::vector<int64_t>& axes, const ReductionCase& c,
                              double identity) {
  std::vector<int64_t> out_dims;
  for (int64_t d = 0; d < shape.rank(); ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) out_dims.push_back(shape[d]);
  int64_t out_n = 1;
  for (int64_t d : out_dims) out_n *= d;
  std::vector<double> out(static_cast<size_t>(out_n), identity);
  for (int64_t i = 0; i < shape.num_elements(); ++i) {
    int64_t rest = i, o = 0, stride = 1;
    for (int64_t d = shape.rank() - 1; d >= 0; --d) {
      int64_t coord = rest % shape[d];
      rest /= shape[d];
      if (std::find(axes.begin(), axes.end(), d) != axes.end()) continue;
      o += coord * stride;
      stride *= shape[d];
    }
    out[static_cast<size_t>(o)] = c.combine(out[static_cast<size_t>(o)], v[static_cast<size_t>(i)]);
  }
  return out;
}

const std::vector<std::pair<tf::TensorShape, std::vector<int64_t>>> kCases = {
    {{7}, {0}},       {{3, 4}, {0}}, {{3, 4}, {1}}, {{3, 4}, {0, 1}}, {{2, 3, 4}, {0, 2}},
    {{2, 3, 4}, {1}}, {{0, 3}, {0}}, {{4, 0}, {0}}, {{}, {}},
};

}  // namespace

TEST_CASE("every reduction of the table has a reference in this suite", "[reduce]") {
  for (int i = 0; i < tf::ops::kNumReduce; ++i) {
    std::string name = tf::ops::op_info(static_cast<tf::ops::ReduceOp>(i)).name;
    INFO(name);
    CHECK(std::any_of(std::begin(kReductions), std::end(kReductions),
                      [&](auto& c) { return c.name == name; }));
  }
}

TEST_CASE("reductions match float64 references for every claimed dtype, eagerly and compiled",
          "[reduce]") {
  for (const auto& c : kReductions) {
    tf::ops::ReduceOp op{};
    for (int i = 0; i < tf::ops::kNumReduce; ++i)
      if (std::string(tf::ops::op_info(static_cast<tf::ops::ReduceOp>(i)).name) == c.name)
        op = static_cast<tf::ops::ReduceOp>(i);
    const auto& info = tf::ops::op_info(op);
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (!info.dtypes.contains(dtype)) continue;
      for (const auto& [shape, axes] : kCases) {
        INFO(c.name << " " << tf::dtype_name(dtype) << " " << shape.to_string() << " axes "
                    << axes.size());
        std::vector<double> v(static_cast<size_t>(shape.num_elements()));
        for (size_t i = 0; i < v.size(); ++i) {
          double x = std::fmod(static_cast<double>(i) * 0.77, 2.5) - 0.9;  // products stay small
          v[i] = dtype == tf::bool_       ? double(i % 3 != 0)
                 : tf::is_floating(dtype) ? x
                                          : std::round(x * 2);
          if (dtype == tf::uint8) v[i] = std::fabs(v[i]);
        }
        if (dtype == tf::bool_ && shape.num_elements() > 1000)  // one false, in the last part
          for (size_t i = 0; i < v.size(); ++i) v[i] = double(i != v.size() - 5);
        v = values_of(make(v, shape, dtype));
        double identity = c.identity;
        if (!tf::is_floating(dtype) && std::isinf(identity)) {  // integers: lowest / highest value
          identity = values_of(c.identity < 0 ? tf::reduce_max(tf::zeros({0}, dtype))
                                              : tf::reduce_min(tf::zeros({0}, dtype)))[0];
        }
        auto want = reference(v, shape, axes, c, identity);
        for (auto& w : want) w = tft::stored(w, dtype);
        tf::Axes ax = axes;
        auto x = make(v, shape, dtype);
        tft::check_close(values_of(c.op(x, ax, false)), want, dtype, "eager");
        CHECK(c.op(x, ax, true).ndim() == shape.rank());
        if (dtype == tf::uint8) continue;  // not compiled yet
        auto f = tf::function([&](const tf::Tensor& t) { return c.op(t, ax, false); });
        tft::check_close(values_of(f(x)), want, dtype, "compiled");
      }
    }
  }
}

TEST_CASE("long rows, wide columns and one long reduction match float64 references", "[reduce]") {
  // Rows longer than the kernel's 16 lanes with a tail; a middle axis over columns split in blocks
  // of 16 with a remainder; one reduction long enough to split over the threads.
  const std::vector<std::pair<tf::TensorShape, std::vector<int64_t>>> cases = {
      {{3, 37}, {1}}, {{5, 40}, {0}}, {{2, 5, 40}, {1}}, {{3, 7, 41}, {0, 1}}, {{300001}, {0}}};
  for (const auto& c : kReductions)
    for (auto dtype : {tf::float32, tf::int32, tf::bool_}) {
      const bool logical =
          std::string(c.name) == "reduce_any" || std::string(c.name) == "reduce_all";
      if (logical != (dtype == tf::bool_)) continue;
      for (const auto& [shape, axes] : cases) {
        // A float32 product of 300001 terms rounds too often to compare with float64's.
        if (shape.num_elements() > 1000 && std::string(c.name) == "reduce_prod") continue;
        INFO(c.name << " " << tf::dtype_name(dtype) << " " << shape.to_string());
        // Values whose products stay in range: near 1 for floats, mostly +-1 for integers.
        std::vector<double> v(static_cast<size_t>(shape.num_elements()));
        for (size_t i = 0; i < v.size(); ++i)
          v[i] = dtype == tf::bool_   ? double(i % 7 != 3)
                 : dtype == tf::int32 ? (i % 9 == 0   ? 2.0
                                         : i % 4 == 1 ? -1.0
                                                      : 1.0)
                                      : 1 + 0.01 * std::sin(0.37 * double(i));
        v = values_of(make(v, shape, dtype));
        auto want = reference(v, shape, axes, c, c.identity);
        for (auto& w : want) w = tft::stored(w, dtype);
        tft::check_close(values_of(c.op(make(v, shape, dtype), tf::Axes(axes), false)), want, dtype,
                         "eager");
      }
    }
}

TEST_CASE("empty reductions give the identity, integer max/min use the type's range", "[reduce]") {
  CHECK(tf::reduce_max(tf::zeros({0})).item<float>() == -INFINITY);
  CHECK(tf::reduce_min(tf::zeros({0}, tf::int32)).item<int32_t>() == 2147483647);
  CHECK(tf::reduce_prod(tf::zeros({0}, tf::int64)).item<int64_t>() == 1);
  CHECK(tf::reduce_all(tf::zeros({0}, tf::bool_)).item<bool>());
  CHECK_FALSE(tf::reduce_any(tf::zeros({0}, tf::bool_)).item<bool>());
}

TEST_CASE("empty reductions over several axes give the identity in one pass", "[reduce]") {
  auto m = tf::reduce_max(tf::zeros({2, 0, 3}), {1, 2});
  CHECK(m.to_vector<float>() == std::vector<float>{-INFINITY, -INFINITY});
  CHECK(tf::reduce_prod(tf::zeros({0, 2, 2}, tf::int32), {0, 2}).to_vector<int32_t>() ==
        std::vector<int32_t>{1, 1});
}

// TensorFlow refuses reduce_sum(x, [1, -1]); tfjit reduced once.
TEST_CASE("duplicate axes raise InvalidArgumentError naming the axis", "[reduce][errors]") {
  auto x = tf::ones({2, 3});
  CHECK_THROWS_WITH(tf::reduce_sum(x, {1, -1}), Catch::Contains("axis 1 appears more than once"));
  CHECK_THROWS_AS(tf::reverse(x, {0, 0}), tf::InvalidArgumentError);
}

// Found by tfjit-fuzz: traced, a reduction over no axes took the max/prod gradient rules, which
// are wrong at NaN and 0 (eager returned the input itself).
TEST_CASE("a reduction over no axes is the identity, its gradient too, eager and compiled",
          "[reduce][gradient]") {
  const auto x = tf::constant({2.0f, 0.0f, NAN, INFINITY});
  for (auto op : {tf::reduce_max, tf::reduce_prod, tf::reduce_sum}) {
    auto grad = [op](const tf::Tensor& a) {
      tf::GradientTape tape;
      tape.watch(a);
      return tape.gradient(tf::reduce_sum(op(a, std::vector<int64_t>{}, false)), a);
    };
    CHECK(grad(x).to_vector<float>() == std::vector<float>{1, 1, 1, 1});
    CHECK(tf::function(grad)(x).to_vector<float>() == std::vector<float>{1, 1, 1, 1});
  }
}

TEST_CASE("reduce_max and reduce_min propagate NaN", "[reduce]") {
  auto x = tf::constant({1.0f, NAN, 3.0f});
  CHECK(std::isnan(tf::reduce_max(x).item<float>()));
  CHECK(std::isnan(tf::reduce_min(x).item<float>()));
}

TEST_CASE("row max/min (vectorised lanes) propagate NaN and infinities, eagerly and compiled",
          "[reduce][function]") {
  // Rows long enough for vector lanes and a tail; a NaN at the start, in a lane, at the tail.
  const int64_t rows = 7, cols = 203;
  std::vector<float> v(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) v[i] = std::sin(0.37f * float(i)) * 10;
  v[1 * cols + 0] = NAN;
  v[2 * cols + 77] = NAN;
  v[3 * cols + cols - 1] = NAN;
  for (int64_t c = 0; c < cols; ++c) v[4 * cols + c] = -INFINITY;  // all -inf: max is -inf
  v[5 * cols + 100] = INFINITY;
  v[6 * cols + 5] = -INFINITY;
  auto x = tf::constant(v, tf::TensorShape{rows, cols});
  auto max = [](const tf::Tensor& t) { return tf::reduce_max(t, 1); };
  auto min = [](const tf::Tensor& t) { return tf::reduce_min(t, 1); };
  for (bool compiled : {false, true}) {
    auto mx = (compiled ? tf::function(max)(x) : max(x)).to_vector<float>();
    auto mn = (compiled ? tf::function(min)(x) : min(x)).to_vector<float>();
    for (int64_t r = 0; r < rows; ++r) {
      INFO((compiled ? "compiled" : "eager") << ", row " << r);
      float want_max = -INFINITY, want_min = INFINITY;
      bool nan = false;
      for (int64_t c = 0; c < cols; ++c) {
        float e = v[r * cols + c];
        nan = nan || std::isnan(e);
        want_max = std::max(want_max, e);
        want_min = std::min(want_min, e);
      }
      if (nan) {
        CHECK(std::isnan(mx[r]));
        CHECK(std::isnan(mn[r]));
      } else {
        CHECK(mx[r] == want_max);
        CHECK(mn[r] == want_min);
      }
    }
  }
}

TEST_CASE("reduce_mean, logsumexp, softmax and log_softmax match float64 references", "[reduce]") {
  auto x = tf::constant(std::vector<double>{1, 2, 3, 4, 5, 1000}, tf::TensorShape{2, 3});
  CHECK(values_of(tf::reduce_mean(x, 1)) == std::vector<double>{2, (4 + 5 + 1000) / 3.0});
  CHECK(tf::reduce_mean(tf::constant({1, 2, 4})).item<int32_t>() == 2);      // 7 / 3 truncated
  CHECK(tf::reduce_mean(tf::constant({-1, -2, -4})).item<int32_t>() == -2);  // toward zero
  auto lse = values_of(tf::reduce_logsumexp(x, 1));
  CHECK(std::abs(lse[0] - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0))) < 1e-12);
  CHECK(std::abs(lse[1] - 1000.0) < 1e-12);  // no overflow
  CHECK(values_of(tf::reduce_logsumexp(tf::constant({-INFINITY, -INFINITY})))[0] == -INFINITY);
  auto sm = values_of(tf::softmax(x));
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(std::abs(sm[0] - std::exp(1.0) / z) < 1e-12);
  CHECK(std::abs(sm[5] - 1.0) < 1e-12);
  auto lsm = values_of(tf::log_softmax(x));
  CHECK(std::abs(lsm[2] - (3.0 - std::log(z))) < 1e-12);
  for (auto fn : {+[](const tf::Tensor& t) { return tf::softmax(t); },
                  +[](const tf::Tensor& t) { return tf::log_softmax(t); },
                  +[](const tf::Tensor& t) { return tf::reduce_logsumexp(t, 1, true); },
                  +[](const tf::Tensor& t) { return tf::reduce_mean(t, 0); }}) {
    auto f = tf::function(fn);
    tft::check_close(values_of(f(x)), values_of(fn(x)), tf::float64, "compiled == eager");
  }
}

TEST_CASE("softmax, log_softmax and logsumexp take no gradient through their max shift, as TF",
          "[reduce][gradient]") {
  // Ties in the row maximum included. Through the max the gradient sums to zero (up to rounding),
  // so the values match either way; the graph shows whether it is computed.
  auto x = tf::constant(std::vector<double>{2, 2, -1, 0.5, 3, 3}, tf::TensorShape{2, 3});
  auto w = tf::constant(std::vector<double>{0.3, -1.2, 2.0, 0.7, 1.1, -0.4}, tf::TensorShape{2, 3});
  for (auto fn : {+[](const tf::Tensor& t) { return tf::softmax(t); },
                  +[](const tf::Tensor& t) { return tf::log_softmax(t); },
                  +[](const tf::Tensor& t) { return tf::reduce_logsumexp(t, 1, true); }}) {
    auto grad = [&](const tf::Tensor& t) {
      tf::GradientTape tape;
      tape.watch(t);
      return tape.gradient(tf::reduce_sum(fn(t) * w), t);
    };
    // Central differences in float64 against the tape.
    std::vector<double> xs = values_of(x), want;
    for (size_t i = 0; i < xs.size(); ++i) {
      auto at = [&](double h) {
        std::vector<double> v = xs;
        v[i] += h;
        auto t = tf::constant(v, tf::TensorShape{2, 3});
        return values_of(tf::reduce_sum(fn(t) * w))[0];
      };
      want.push_back((at(1e-6) - at(-1e-6)) / 2e-6);
    }
    tft::check_close(values_of(grad(x)), want, tf::float32, "gradient");
    // Compiled, the gradient has no mask of the maximum (an equal op) to compute.
    auto f = tf::function(grad);
    CHECK(f.graph("traced", x).find("equal") == std::string::npos);
    tft::check_close(values_of(f(x)), values_of(grad(x)), tf::float64, "compiled == eager");
  }
}

TEST_CASE("where selects elementwise with broadcasting, eagerly and compiled", "[where]") {
  auto c = tf::constant({true, false, true});
  auto x = tf::constant({1, 2, 3});
  CHECK(tf::where(c, x, tf::constant(0)).to_vector<int32_t>() == std::vector<int32_t>{1, 0, 3});
  auto f = tf::function([](const tf::Tensor& t) { return tf::where(t > 0.0f, t, t * 0.1f); });
  CHECK(values_of(f(tf::constant({-1.0f, 2.0f}))) == values_of(tf::constant({-0.1f, 2.0f})));
  CHECK_THROWS_AS(tf::where(x, x, x), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::where(c, x, tf::constant({1.0f})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::where(c, x, tf::constant({1, 2})), tf::InvalidArgumentError);
}

TEST_CASE("argmax and argmin: first extreme wins, NaN is the extreme, eagerly and compiled",
          "[reduce][argmax]") {
  auto x = tf::constant({{3.0f, 7.0f, 7.0f}, {-1.0f, -5.0f, -5.0f}});
  auto check = [&](auto fn, const tf::Tensor& t, const std::vector<int64_t>& want) {
    CHECK(fn(t).dtype() == tf::int64);
    CHECK(fn(t).template to_vector<int64_t>() == want);
    CHECK(tf::function(fn)(t).template to_vector<int64_t>() == want);
  };
  check([](const tf::Tensor& t) { return tf::argmax(t, 1); }, x, {1, 0});
  check([](const tf::Tensor& t) { return tf::argmin(t, 1); }, x, {0, 1});
  check([](const tf::Tensor& t) { return tf::argmax(t, 0); }, x, {0, 0, 0});
  check([](const tf::Tensor& t) { return tf::argmin(t, -2); }, x, {1, 1, 1});
  check([](const tf::Tensor& t) { return tf::argmax(t, 0); }, tf::constant({1.0f, NAN, 5.0f, NAN}),
        {1});
  check([](const tf::Tensor& t) { return tf::argmin(t, 0); },
        tf::constant(std::vector<int64_t>{4, -9, 2, -9}), {1});
  CHECK_THROWS_AS(tf::argmax(tf::zeros({0, 2}), 0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::argmax(x, 2), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::argmax(tf::constant({true}), 0), tf::InvalidArgumentError);
}
