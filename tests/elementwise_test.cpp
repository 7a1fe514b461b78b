// One parametrised suite over the elementwise op table: every op x every dtype it claims x a
// set of shapes (scalar, empty, equal, broadcast) against float64 references written here,
// eagerly and compiled; and every dtype it does not claim is refused.
#include <functional>

#include "runtime/kernels.h"
#include "tests/elementwise_cases.h"
#include "tests/helpers.h"

namespace {

using namespace tft;
using tft::values_of;

template <class Case, size_t N>
const Case* find_case(const Case (&cases)[N], const std::string& name) {
  for (const auto& c : cases)
    if (name == c.name) return &c;
  return nullptr;
}

// The result dtype the table promises for an input dtype.
tf::DType result_dtype(const tf::ops::ElementwiseOpInfo& info, tf::DType in) {
  return info.bool_result ? tf::bool_ : in;
}

// Deterministic inputs in the range, whole numbers for integer dtypes, stored in `dtype`.
std::vector<double> inputs(int64_t n, Range r, tf::DType dtype, int seed) {
  if (dtype == tf::uint8 || (!r.negative_integers && !tf::is_floating(dtype)))
    r.lo = std::max(r.lo, 0.0);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double t = std::fmod(0.6180339887 * static_cast<double>(i * 7 + seed * 13 + 1), 1.0);
    double x = r.lo + (r.hi - r.lo) * t;
    if (r.integral || !tf::is_floating(dtype)) x = std::round(x);
    if (x == 0 && r.lo > 0) x = r.hi;  // a non-zero range stays non-zero after rounding
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

}  // namespace

TEST_CASE("every op of the elementwise table has a reference in this suite", "[elementwise]") {
  for (int i = 0; i < tf::ops::kNumUnary; ++i) {
    std::string name = tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i)).name;
    INFO(name);
    CHECK(find_case(kUnary, name));
  }
  for (int i = 0; i < tf::ops::kNumBinary; ++i) {
    std::string name = tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i)).name;
    INFO(name);
    CHECK(find_case(kBinary, name));
  }
}

// Calls f(case, info, dtype) for every table op with a reference and every dtype it claims.
template <class F>
void for_each_unary(F f) {
  for (int i = 0; i < tf::ops::kNumUnary; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i));
    const UnaryCase* c = find_case(kUnary, info.name);
    if (!c) continue;
    for (int d = 0; d < tf::kNumDTypes; ++d)
      if (info.dtypes.contains(static_cast<tf::DType>(d))) f(*c, info, static_cast<tf::DType>(d));
  }
}
template <class F>
void for_each_binary(F f) {
  for (int i = 0; i < tf::ops::kNumBinary; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i));
    const BinaryCase* c = find_case(kBinary, info.name);
    if (!c) continue;
    for (int d = 0; d < tf::kNumDTypes; ++d)
      if (info.dtypes.contains(static_cast<tf::DType>(d))) f(*c, info, static_cast<tf::DType>(d));
  }
}

TEST_CASE("unary ops match float64 references for every claimed dtype and shape", "[elementwise]") {
  for_each_unary([](const UnaryCase& c, const auto& info, tf::DType dtype) {
    tf::DType out_dtype = result_dtype(info, dtype);
    for (const auto& shape : kUnaryShapes) {
      auto x = inputs(shape.num_elements(), c.range, dtype, 1);
      std::vector<double> want;
      for (double v : x) want.push_back(tft::stored(c.ref(v), out_dtype));
      auto out = c.op(make(x, shape, dtype));
      std::string what =
          std::string(c.name) + " " + std::string(tf::dtype_name(dtype)) + " " + shape.to_string();
      CHECK(out.dtype() == out_dtype);
      CHECK(out.shape() == shape);
      tft::check_close(values_of(out), want, out_dtype, what);
    }
  });
}

TEST_CASE("binary ops match float64 references with broadcasting", "[elementwise]") {
  for_each_binary([](const BinaryCase& c, const auto& info, tf::DType dtype) {
    tf::DType out_dtype = result_dtype(info, dtype);
    for (const auto& [sx, sy] : kBinaryShapes) {
      auto x = inputs(sx.num_elements(), c.x, dtype, 1);
      auto y = inputs(sy.num_elements(), c.y, dtype, 2);
      auto out = c.op(make(x, sx, dtype), make(y, sy, dtype));
      std::string what = std::string(c.name) + " " + std::string(tf::dtype_name(dtype)) + " " +
                         sx.to_string() + " " + sy.to_string();
      INFO(what);
      REQUIRE(out.dtype() == out_dtype);
      std::vector<double> want;
      for (int64_t i = 0; i < out.num_elements(); ++i) {
        double r =
            c.ref(x[broadcast_index(sx, out.shape(), i)], y[broadcast_index(sy, out.shape(), i)]);
        if (out_dtype == tf::uint8) r = std::fmod(r + 256.0, 256.0);  // unsigned wrap-around
        want.push_back(tft::stored(r, out_dtype));
      }
      tft::check_close(values_of(out), want, out_dtype, what);
    }
  });
}

TEST_CASE("compiled elementwise ops equal eager ones for every claimed dtype",
          "[elementwise][function]") {
  const tf::TensorShape sx{3, 4}, sy{4};
  for_each_binary([&](const BinaryCase& c, const auto& info, tf::DType dtype) {
    if (dtype == tf::uint8 || dtype == tf::complex64)
      return;  // not compiled yet: a typed error, tested in function_test
    INFO(c.name << " " << tf::dtype_name(dtype));
    auto x = make(inputs(12, c.x, dtype, 1), sx, dtype),
         y = make(inputs(4, c.y, dtype, 2), sy, dtype);
    auto f =
        tf::function([op = c.op](const tf::Tensor& a, const tf::Tensor& b) { return op(a, b); });
    auto eager = c.op(x, y);
    tft::check_close(values_of(f(x, y)), values_of(eager), eager.dtype(), c.name);
  });
  for_each_unary([&](const UnaryCase& c, const auto& info, tf::DType dtype) {
    if (dtype == tf::uint8 || dtype == tf::complex64) return;
    INFO(c.name << " " << tf::dtype_name(dtype));
    auto x = make(inputs(12, c.range, dtype, 1), sx, dtype);
    auto f = tf::function([op = c.op](const tf::Tensor& a) { return op(a); });
    auto eager = c.op(x);
    tft::check_close(values_of(f(x)), values_of(eager), eager.dtype(), c.name);
  });
}

// NaN, infinities and signed zeros in every position and in either operand, long enough that
// compiled code runs its vector loop and its remainder (LLVM 19 once lost a NaN in y of
// float16 maximum, in vector lanes only).
TEST_CASE("compiled elementwise ops equal eager ones on NaN, infinities and signed zeros",
          "[elementwise][function]") {
  const std::vector<double> special = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1.0, -1.5, 2.5};
  const int64_t n = 8 * 8 + 11;  // every pair, then a remainder past any vector width
  std::vector<double> xs, ys;
  for (int64_t i = 0; i < n; ++i) {
    xs.push_back(special[static_cast<size_t>(i / 8 % 8)]);
    ys.push_back(special[static_cast<size_t>(i % 8)]);
  }
  for_each_binary([&](const BinaryCase& c, const auto&, tf::DType dtype) {
    if (!tf::is_floating(dtype)) return;
    INFO(c.name << " " << tf::dtype_name(dtype));
    auto x = make(xs, {n}, dtype), y = make(ys, {n}, dtype);
    auto f =
        tf::function([op = c.op](const tf::Tensor& a, const tf::Tensor& b) { return op(a, b); });
    auto eager = c.op(x, y);
    tft::check_close(values_of(f(x, y)), values_of(eager), eager.dtype(), c.name);
  });
  for_each_unary([&](const UnaryCase& c, const auto&, tf::DType dtype) {
    if (!tf::is_floating(dtype)) return;
    INFO(c.name << " " << tf::dtype_name(dtype));
    auto x = make(ys, {n}, dtype);
    auto f = tf::function([op = c.op](const tf::Tensor& a) { return op(a); });
    auto eager = c.op(x);
    tft::check_close(values_of(f(x)), values_of(eager), eager.dtype(), c.name);
  });
}

TEST_CASE("elementwise ops refuse exactly the dtypes they do not claim", "[elementwise][errors]") {
  for (int i = 0; i < tf::ops::kNumUnary; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::UnaryOp>(i));
    const UnaryCase* c = find_case(kUnary, info.name);
    REQUIRE(c);
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (info.dtypes.contains(dtype) || dtype == tf::string) continue;
      INFO(c->name << " " << tf::dtype_name(dtype));
      CHECK_THROWS_AS(c->op(tf::zeros({2}, dtype)), tf::InvalidArgumentError);
    }
  }
  for (int i = 0; i < tf::ops::kNumBinary; ++i) {
    const auto& info = tf::ops::op_info(static_cast<tf::ops::BinaryOp>(i));
    const BinaryCase* c = find_case(kBinary, info.name);
    REQUIRE(c);
    for (int d = 0; d < tf::kNumDTypes; ++d) {
      auto dtype = static_cast<tf::DType>(d);
      if (info.dtypes.contains(dtype) || dtype == tf::string) continue;
      INFO(c->name << " " << tf::dtype_name(dtype));
      CHECK_THROWS_AS(c->op(tf::zeros({2}, dtype), tf::zeros({2}, dtype)),
                      tf::InvalidArgumentError);
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
  CHECK_THROWS_WITH(i + 1.5, Catch::Contains("int32"));
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

TEST_CASE("maximum and minimum return x on a tie of signed zeros, eagerly and compiled",
          "[elementwise][function]") {
  auto x = tf::constant({-0.0f, 0.0f}), y = tf::constant({0.0f, -0.0f});
  auto fmax =
      tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::maximum(a, b); });
  auto fmin =
      tf::function([](const tf::Tensor& a, const tf::Tensor& b) { return tf::minimum(a, b); });
  for (const auto& r : {tf::maximum(x, y), fmax(x, y), tf::minimum(x, y), fmin(x, y)}) {
    auto v = r.to_vector<float>();
    CHECK(std::signbit(v[0]));
    CHECK(!std::signbit(v[1]));
  }
}

TEST_CASE("division follows TensorFlow: true division, Python floor semantics", "[elementwise]") {
  auto a = tf::constant({7, -7, 7, -7}), b = tf::constant({2, 2, -2, -2});
  auto q = a / b;  // int32 / int32 -> float64, as tf.math.truediv
  CHECK(q.dtype() == tf::float64);
  CHECK(q.to_vector<double>() == std::vector<double>{3.5, -3.5, -3.5, 3.5});
  CHECK((tf::constant(std::vector<int16_t>{1}) / tf::constant(std::vector<int16_t>{4})).dtype() ==
        tf::float32);
  CHECK(tf::floordiv(a, b).to_vector<int32_t>() == std::vector<int32_t>{3, -4, -4, 3});
  CHECK((a % b).to_vector<int32_t>() == std::vector<int32_t>{1, 1, -1, -1});
  CHECK((tf::constant({-7.0f}) % 3.0f).item<float>() == 2.0f);
  CHECK(tf::floordiv(tf::constant(std::vector<int32_t>{-2147483647 - 1}), tf::constant({-1}))
            .to_vector<int32_t>()[0] == -2147483647 - 1);  // wraps, no undefined behaviour
}

TEST_CASE("integer division by zero raises InvalidArgumentError, float division gives inf/nan",
          "[elementwise][errors]") {
  const std::string message =
      "floordiv: integer division by zero (divisor of dtype int32 and shape (2,) contains 0)";
  CHECK_THROWS_WITH(tf::floordiv(tf::constant({1, 2}), tf::constant({1, 0})), message);
  CHECK_THROWS_AS(tf::constant({1}) % 0, tf::InvalidArgumentError);
  // Compiled: the same error once the call has run, and no variable is assigned.
  tf::Variable count(tf::constant(0));
  auto f = tf::function([&](const tf::Tensor& x, const tf::Tensor& y) {
    count.assign_add(tf::constant(1));
    return tf::floordiv(x, y - 1) + tf::floormod(x, y);
  });
  CHECK_THROWS_WITH(f(tf::constant({1, 2}), tf::constant({2, 1})), message);
  CHECK_THROWS_WITH(f(tf::constant({1, 2}), tf::constant({2, 0})),
                    "floormod: integer division by zero (divisor of dtype int32 and shape (2,) "
                    "contains 0)");
  CHECK(count.read_value().item<int32_t>() == 0);
  CHECK(f(tf::constant({7, -7}), tf::constant({3, 3})).to_vector<int32_t>() ==
        std::vector<int32_t>{3 + 1, -4 + 2});
  CHECK(count.read_value().item<int32_t>() == 1);
  CHECK(std::isinf((tf::constant({1.0f}) / 0.0f).item<float>()));
  CHECK(std::isnan(tf::floormod(tf::constant({1.0f}), tf::constant({0.0f})).item<float>()));
}

TEST_CASE("round is half to even, comparisons and logic give bool tensors", "[elementwise]") {
  CHECK(tf::round(tf::constant({0.5f, 1.5f, 2.5f, -0.5f, -1.5f})).to_vector<float>() ==
        std::vector<float>{0, 2, 2, -0, -2});
  auto x = tf::constant({1, 2, 3});
  CHECK((x > 1).to_vector<bool>() == std::vector<bool>{false, true, true});
  CHECK((x == tf::constant({1, 0, 3})).to_vector<bool>() == std::vector<bool>{true, false, true});
  CHECK(((x > 1) & (x < 3)).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK((~(x > 1)).to_vector<bool>() == std::vector<bool>{true, false, false});
  auto f = tf::function([](const tf::Tensor& t) { return (t >= 2) ^ (t == 3); });
  CHECK(f(x).to_vector<bool>() == std::vector<bool>{false, true, false});
}

TEST_CASE("is_nan, is_inf and is_finite classify special values, eagerly and compiled",
          "[elementwise]") {
  auto x = tf::constant({NAN, INFINITY, -INFINITY, 1.0f, 0.0f});
  auto f = tf::function([](const tf::Tensor& t) {
    return std::tuple{tf::is_nan(t), tf::is_inf(t), tf::is_finite(t)};
  });
  auto [nan, inf, fin] = f(x);
  CHECK(nan.to_vector<bool>() == std::vector<bool>{true, false, false, false, false});
  CHECK(inf.to_vector<bool>() == std::vector<bool>{false, true, true, false, false});
  CHECK(fin.to_vector<bool>() == std::vector<bool>{false, false, false, true, true});
  CHECK(tf::is_finite(x).to_vector<bool>() == fin.to_vector<bool>());
}

TEST_CASE("complex64 arithmetic works eagerly", "[elementwise][complex]") {
  using C = std::complex<float>;
  auto x = tf::constant(std::vector<C>{{1, 2}, {0, -1}}),
       y = tf::constant(std::vector<C>{{3, -1}, {2, 0}});
  CHECK((x * y).to_vector<C>() == std::vector<C>{{5, 5}, {0, -2}});
  CHECK((x + y).to_vector<C>() == std::vector<C>{{4, 1}, {2, -1}});
  CHECK((x / y).to_vector<C>()[1] == C(0, -0.5f));
  CHECK((-x).to_vector<C>()[0] == C(-1, -2));
  CHECK((x == x).to_vector<bool>() == std::vector<bool>{true, true});
  CHECK_THROWS_AS(tf::maximum(x, y), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::function([](const tf::Tensor& t) { return t + t; })(x),
                  tf::UnimplementedError);
}

TEST_CASE("clip_by_value clamps to the bounds", "[elementwise]") {
  CHECK(tf::clip_by_value(tf::constant({-3, 0, 7}), -1, 5).to_vector<int32_t>() ==
        std::vector<int32_t>{-1, 0, 5});
  auto f = tf::function([](const tf::Tensor& t) { return tf::clip_by_value(t, 0.0f, 1.0f); });
  CHECK(f(tf::constant({-0.5f, 0.25f, 2.0f})).to_vector<float>() ==
        std::vector<float>{0, 0.25f, 1});
}

TEST_CASE("integer pow is exact and wraps, and a negative integer exponent raises as TensorFlow's",
          "[elementwise][errors]") {
  auto f = tf::function([](const tf::Tensor& x, const tf::Tensor& y) { return tf::pow(x, y); });
  for (bool compiled : {false, true}) {
    INFO((compiled ? "compiled" : "eager"));
    auto pow = [&](const tf::Tensor& x, const tf::Tensor& y) {
      return compiled ? f(x, y) : tf::pow(x, y);
    };
    // 3^21 = 10460353203 = 1870418611 + 2 * 2^32; 3^5 = 243 = -13 + 256; (-2)^63 = INT64_MIN.
    CHECK(
        pow(tf::constant({3, -3, 2, 0, 7}), tf::constant({21, 3, 0, 0, 1})).to_vector<int32_t>() ==
        std::vector<int32_t>{1870418611, -27, 1, 1, 7});
    CHECK(pow(tf::constant(std::vector<int8_t>{3}), tf::constant(std::vector<int8_t>{5}))
              .to_vector<int8_t>() == std::vector<int8_t>{-13});
    if (!compiled)  // uint8 is eager only
      CHECK(tf::pow(tf::constant(std::vector<uint8_t>{3, 2}),
                    tf::constant(std::vector<uint8_t>{5, 9}))
                .to_vector<uint8_t>() == std::vector<uint8_t>{243, 0});
    CHECK(pow(tf::constant(std::vector<int64_t>{-2}), tf::constant(std::vector<int64_t>{63}))
              .to_vector<int64_t>() == std::vector<int64_t>{INT64_MIN});
    CHECK_THROWS_WITH(pow(tf::constant({2, 2}), tf::constant({1, -1})),
                      "pow: integers to negative integer powers are not allowed (exponent of "
                      "dtype int32 and shape (2,) contains a negative value)");
    CHECK(pow(tf::constant({2.0f, 4.0f}), tf::constant({-1.0f, -0.5f})).to_vector<float>() ==
          std::vector<float>{0.5f, 0.5f});
  }
  CHECK(tf::pow(tf::constant({3}), 2).to_vector<int32_t>() == std::vector<int32_t>{9});
}
