// One parametrised suite over the elementwise op table: every op x every dtype it claims x a
// set of shapes (scalar, empty, equal, broadcast) against float64 references written here,
// eagerly and compiled; and every dtype it does not claim is refused.
#include <functional>

#include "runtime/kernels.h"
#include "tests/helpers.h"

namespace {

using tft::make;
using tft::values_of;

// The independent references: one line per op of tfjit/elementwise_ops.def.
struct UnaryCase {
  const char* name;
  tf::Tensor (*op)(const tf::Tensor&);
  double (*ref)(double);
  double lo, hi;  // input range
};
const UnaryCase kUnary[] = {
    {"negative", tf::negative, [](double x) { return -x; }, -10, 10},
    {"abs", tf::abs, [](double x) { return std::fabs(x); }, -10, 10},
    {"square", tf::square, [](double x) { return x * x; }, -10, 10},
    {"exp", tf::exp, [](double x) { return std::exp(x); }, -5, 5},
    {"log", tf::log, [](double x) { return std::log(x); }, 0.1, 10},
    {"sqrt", tf::sqrt, [](double x) { return std::sqrt(x); }, 0, 10},
    {"tanh", tf::tanh, [](double x) { return std::tanh(x); }, -3, 3},
};
struct BinaryCase {
  const char* name;
  tf::Tensor (*op)(const tf::Tensor&, const tf::Tensor&);
  double (*ref)(double, double);
};
const BinaryCase kBinary[] = {
    {"add", tf::add, [](double x, double y) { return x + y; }},
    {"subtract", tf::subtract, [](double x, double y) { return x - y; }},
    {"multiply", tf::multiply, [](double x, double y) { return x * y; }},
    {"maximum", tf::maximum, [](double x, double y) { return std::max(x, y); }},
    {"minimum", tf::minimum, [](double x, double y) { return std::min(x, y); }},
};

// Deterministic inputs in [lo, hi], rounded for integer dtypes and stored in `dtype`.
std::vector<double> inputs(int64_t n, double lo, double hi, tf::DType dtype, int seed) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double t = std::fmod(0.6180339887 * static_cast<double>(i * 7 + seed * 13 + 1), 1.0);
    double x = lo + (hi - lo) * t;
    if (!tf::is_floating(dtype)) x = std::round(x);
    v[static_cast<size_t>(i)] = x;
  }
  return values_of(make(v, {n}, dtype));
}

// Row-major flat index of `out_index` within a broadcast input of `shape`.
int64_t broadcast_index(const tf::TensorShape& shape, const tf::TensorShape& out, int64_t flat) {
  int64_t index = 0, stride = 1;
  for (int64_t d = out.rank() - 1; d >= 0; --d) {
    int64_t coord = flat % out[d];
    flat /= out[d];
    int64_t k = d - (out.rank() - shape.rank());
    if (k < 0) continue;
    if (shape[k] != 1) index += coord * stride;
    stride *= shape[k];
  }
  return index;
}

const std::vector<std::pair<tf::TensorShape, tf::TensorShape>> kBinaryShapes = {
    {{}, {}},      {{5}, {5}},          {{2, 3}, {3}},        {{2, 1}, {1, 3}},
    {{0, 3}, {3}}, {{4, 1, 3}, {2, 1}}, {{257, 33}, {1, 33}}, {{}, {7}},
};
const std::vector<tf::TensorShape> kUnaryShapes = {{}, {0}, {7}, {3, 4}, {1000}};

bool claims(const tf::rt::ElementwiseOpInfo& info, tf::DType d) { return info.dtypes.contains(d); }

}  // namespace

TEST_CASE("every op of the elementwise table has a reference in this suite", "[elementwise]") {
  for (int i = 0; i < tf::rt::kNumUnary; ++i) {
    std::string name = tf::rt::op_info(static_cast<tf::rt::UnaryOp>(i)).name;
    INFO(name);
    CHECK(
        std::any_of(std::begin(kUnary), std::end(kUnary), [&](auto& c) { return c.name == name; }));
  }
  for (int i = 0; i < tf::rt::kNumBinary; ++i) {
    std::string name = tf::rt::op_info(static_cast<tf::rt::BinaryOp>(i)).name;
    INFO(name);
    CHECK(std::any_of(std::begin(kBinary), std::end(kBinary),
                      [&](auto& c) { return c.name == name; }));
  }
}

TEST_CASE("unary ops match float64 references for every claimed dtype and shape", "[elementwise]") {
  for (const auto& c : kUnary) {
    const auto& info = tf::rt::op_info(static_cast<tf::rt::UnaryOp>(&c - kUnary));
    REQUIRE(std::string(info.name) == c.name);
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (!claims(info, dtype)) continue;
      for (const auto& shape : kUnaryShapes) {
        auto x = inputs(shape.num_elements(), c.lo, c.hi, dtype, 1);
        std::vector<double> want;
        for (double v : x) want.push_back(tft::stored(c.ref(v), dtype));
        auto out = c.op(make(x, shape, dtype));
        std::string what = std::string(c.name) + " " + std::string(tf::dtype_name(dtype)) + " " +
                           shape.to_string();
        CHECK(out.dtype() == dtype);
        CHECK(out.shape() == shape);
        tft::check_close(values_of(out), want, dtype, what);
      }
    }
  }
}

TEST_CASE("binary ops match float64 references with broadcasting", "[elementwise]") {
  for (const auto& c : kBinary) {
    const auto& info = tf::rt::op_info(static_cast<tf::rt::BinaryOp>(&c - kBinary));
    REQUIRE(std::string(info.name) == c.name);
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (!claims(info, dtype)) continue;
      double lo = dtype == tf::uint8 ? 0 : -10, hi = 10;
      for (const auto& [sx, sy] : kBinaryShapes) {
        auto x = inputs(sx.num_elements(), lo, hi, dtype, 1);
        auto y = inputs(sy.num_elements(), lo, hi, dtype, 2);
        auto out = c.op(make(x, sx, dtype), make(y, sy, dtype));
        std::string what = std::string(c.name) + " " + std::string(tf::dtype_name(dtype)) + " " +
                           sx.to_string() + " " + sy.to_string();
        INFO(what);
        REQUIRE(out.dtype() == dtype);
        std::vector<double> want;
        for (int64_t i = 0; i < out.num_elements(); ++i) {
          double r =
              c.ref(x[broadcast_index(sx, out.shape(), i)], y[broadcast_index(sy, out.shape(), i)]);
          if (dtype == tf::uint8) r = std::fmod(r + 256.0, 256.0);  // unsigned wrap-around
          want.push_back(tft::stored(r, dtype));
        }
        tft::check_close(values_of(out), want, dtype, what);
      }
    }
  }
}

TEST_CASE("compiled elementwise ops equal eager ones for every claimed dtype",
          "[elementwise][function]") {
  const tf::TensorShape sx{3, 4}, sy{4};
  for (const auto& c : kBinary) {
    const auto& info = tf::rt::op_info(static_cast<tf::rt::BinaryOp>(&c - kBinary));
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (!claims(info, dtype) || dtype == tf::uint8)
        continue;  // uint8: not compiled yet (typed error)
      INFO(c.name << " " << tf::dtype_name(dtype));
      auto x = make(inputs(12, -10, 10, dtype, 1), sx, dtype),
           y = make(inputs(4, -10, 10, dtype, 2), sy, dtype);
      auto f =
          tf::function([op = c.op](const tf::Tensor& a, const tf::Tensor& b) { return op(a, b); });
      tft::check_close(values_of(f(x, y)), values_of(c.op(x, y)), dtype, c.name);
    }
  }
  for (const auto& c : kUnary) {
    const auto& info = tf::rt::op_info(static_cast<tf::rt::UnaryOp>(&c - kUnary));
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (!claims(info, dtype) || dtype == tf::uint8) continue;
      INFO(c.name << " " << tf::dtype_name(dtype));
      auto x = make(inputs(12, c.lo, c.hi, dtype, 1), sx, dtype);
      auto f = tf::function([op = c.op](const tf::Tensor& a) { return op(a); });
      tft::check_close(values_of(f(x)), values_of(c.op(x)), dtype, c.name);
    }
  }
}

TEST_CASE("elementwise ops refuse exactly the dtypes they do not claim", "[elementwise][errors]") {
  for (const auto& c : kUnary) {
    const auto& info = tf::rt::op_info(static_cast<tf::rt::UnaryOp>(&c - kUnary));
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (claims(info, dtype) || dtype == tf::string) continue;
      INFO(c.name << " " << tf::dtype_name(dtype));
      CHECK_THROWS_AS(c.op(tf::zeros({2}, dtype)), tf::InvalidArgumentError);
    }
  }
  for (const auto& c : kBinary) {
    const auto& info = tf::rt::op_info(static_cast<tf::rt::BinaryOp>(&c - kBinary));
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (claims(info, dtype) || dtype == tf::string) continue;
      INFO(c.name << " " << tf::dtype_name(dtype));
      CHECK_THROWS_AS(c.op(tf::zeros({2}, dtype), tf::zeros({2}, dtype)), tf::InvalidArgumentError);
    }
  }
}

TEST_CASE("binary ops reject mismatched dtypes and non-broadcastable shapes, naming both",
          "[elementwise][errors]") {
  auto i = tf::constant({1, 2, 3});
  auto f = tf::constant({1.0f, 2.0f, 3.0f});
  CHECK_THROWS_WITH(tf::add(i, f), Catch::Contains("add") && Catch::Contains("int32") &&
                                       Catch::Contains("float32"));
  CHECK_THROWS_AS(i * f, tf::InvalidArgumentError);
  auto a = tf::zeros({2, 3}), b = tf::zeros({4});
  CHECK_THROWS_WITH(tf::multiply(a, b), Catch::Contains("multiply") && Catch::Contains("(2, 3)") &&
                                            Catch::Contains("(4,)"));
  auto g = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return x + y; });
  CHECK_THROWS_AS(g(a, b), tf::InvalidArgumentError);
  CHECK_THROWS_AS(g(i, f), tf::InvalidArgumentError);
  CHECK(tft::values_of(g(a, tf::ones({3}))) == std::vector<double>(6, 1.0));  // still usable
}

TEST_CASE("C++ scalars adapt to the tensor's dtype, and must fit it", "[elementwise]") {
  auto i = tf::constant({1, 2, 3});
  auto r = i * 2;
  CHECK(r.dtype() == tf::int32);
  CHECK(r.to_vector<int32_t>() == std::vector<int32_t>{2, 4, 6});
  CHECK((i + 2.0).to_vector<int32_t>() == std::vector<int32_t>{3, 4, 5});  // 2.0 is exactly 2
  CHECK_THROWS_AS(i + 1.5, tf::InvalidArgumentError);
  auto d = tf::constant(std::vector<double>{1, 2});
  CHECK((d * 0.5).dtype() == tf::float64);
  CHECK((10.0f - tf::constant({1.0f, 2.0f})).to_vector<float>() == std::vector<float>{9, 8});
  CHECK((-tf::constant({1, -2})).to_vector<int32_t>() == std::vector<int32_t>{-1, 2});
}

TEST_CASE("integer arithmetic wraps around on overflow", "[elementwise]") {
  auto big = tf::constant(std::vector<int32_t>{2147483647});
  CHECK((big + 1).to_vector<int32_t>()[0] == -2147483647 - 1);
  auto u = tf::constant(std::vector<uint8_t>{250});
  CHECK((u + tf::constant(std::vector<uint8_t>{10})).to_vector<uint8_t>()[0] == 4);
}

TEST_CASE("maximum and minimum propagate NaN", "[elementwise]") {
  auto x = tf::constant({NAN, 1.0f}), y = tf::constant({1.0f, NAN});
  for (auto v : tf::maximum(x, y).to_vector<float>()) CHECK(std::isnan(v));
  for (auto v : tf::minimum(y, x).to_vector<float>()) CHECK(std::isnan(v));
}
