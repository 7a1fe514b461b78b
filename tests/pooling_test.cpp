// Pooling (tf::nn, on the reduce_window primitive): every pooling op x padding x window x stride
// x dtype, eager and compiled, against float64 loops written from TensorFlow's definition; data
// formats; unknown batch dims; gradients against central differences (and the first-max rule
// on ties); second order; bad input.
#include <cmath>
#include <limits>

#include "tests/gradient_helpers.h"
#include "tests/helpers.h"

namespace {

using tft::make;
using tft::values_of;

// Reference pooling of a channels-last tensor: spatial dims 1 .. rank-2.
std::vector<double> reference(const std::vector<double>& x, const tf::TensorShape& shape,
                              const std::vector<int64_t>& k, const std::vector<int64_t>& s,
                              bool same, bool is_max, tf::TensorShape* out_shape) {
  const int64_t rank = shape.rank(), spatial = rank - 2;
  std::vector<int64_t> out_dims = {shape[0]}, low;
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t n = shape[d + 1], kd = k[size_t(d)], sd = s[size_t(d)];
    const int64_t out = same ? (n + sd - 1) / sd : n >= kd ? (n - kd) / sd + 1 : 0;
    out_dims.push_back(std::max<int64_t>(out, 0));
    low.push_back(same ? std::max<int64_t>((out - 1) * sd + kd - n, 0) / 2 : 0);
  }
  out_dims.push_back(shape[rank - 1]);
  *out_shape = tf::TensorShape(out_dims);
  std::vector<double> y;
  const int64_t count = out_shape->num_elements();
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<int64_t> o(static_cast<size_t>(rank));
    for (int64_t d = rank - 1, r = flat; d >= 0; --d)
      o[size_t(d)] = r % out_dims[size_t(d)], r /= out_dims[size_t(d)];
    double acc = is_max ? -INFINITY : 0;
    int64_t inside = 0;
    int64_t window = 1;
    for (int64_t d = 0; d < spatial; ++d) window *= k[size_t(d)];
    for (int64_t w = 0; w < window; ++w) {
      int64_t at = o[0], ok = 1;
      for (int64_t d = 0, r = w, div = window; d < spatial; ++d) {
        div /= k[size_t(d)];
        const int64_t kd = r / div;
        r %= div;
        const int64_t p = o[size_t(d + 1)] * s[size_t(d)] + kd - low[size_t(d)];
        ok &= p >= 0 && p < shape[d + 1];
        at = at * shape[d + 1] + p;
      }
      if (!ok) continue;
      const double v = x[size_t(at * shape[rank - 1] + o[size_t(rank - 1)])];
      ++inside;
      acc = is_max ? (std::isnan(acc) || std::isnan(v) ? NAN : std::max(acc, v)) : acc + v;
    }
    y.push_back(is_max ? acc : acc / double(inside));
  }
  return y;
}

struct PoolCase {
  tf::TensorShape shape;
  std::vector<int64_t> ksize, strides;  // per spatial dim
};
const PoolCase kCases[] = {
    {{2, 9, 3}, {2}, {2}},
    {{2, 9, 3}, {3}, {1}},
    {{2, 7, 6, 3}, {2, 2}, {2, 2}},
    {{2, 7, 6, 3}, {3, 2}, {2, 3}},
    {{1, 5, 5, 2}, {5, 5}, {1, 1}},
    {{1, 3, 2, 1}, {4, 4}, {3, 3}},
    {{1, 5, 4, 6, 2}, {2, 3, 2}, {2, 1, 3}},
    {{0, 4, 4, 2}, {2, 2}, {2, 2}},
};

tf::Tensor pool(bool is_max, const tf::Tensor& x, const PoolCase& c, std::string_view padding) {
  return is_max ? tf::nn::max_pool(x, c.ksize, c.strides, padding)
                : tf::nn::avg_pool(x, c.ksize, c.strides, padding);
}

}  // namespace

TEST_CASE("pooling matches float64 loops for every window, padding and dtype, eager and compiled",
          "[pooling]") {
  std::mt19937 rng(5);
  for (const auto& c : kCases)
    for (bool is_max : {true, false})
      for (const char* padding : {"VALID", "SAME"})
        for (tf::DType dtype : {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32,
                                tf::int8, tf::uint8}) {
          if (!is_max && tf::is_integer(dtype)) continue;
          INFO((is_max ? "max " : "avg ")
               << padding << " " << c.shape.to_string() << " " << tf::dtype_name(dtype));
          std::vector<double> v(size_t(c.shape.num_elements()));
          std::uniform_int_distribution<int> pick(-50, 50);
          // Integers exact; uint8 above 127, where a signed compare would pick the wrong max.
          for (double& e : v)
            e = tf::is_integer(dtype) ? pick(rng) + (dtype == tf::uint8 ? 150 : 0)
                                      : pick(rng) / 8.0;
          tf::Tensor x = make(v, c.shape, dtype);
          tf::TensorShape want_shape;
          auto want = reference(values_of(x), c.shape, c.ksize, c.strides,
                                std::string_view(padding) == "SAME", is_max, &want_shape);
          tf::Tensor eager = pool(is_max, x, c, padding);
          CHECK(eager.shape() == want_shape);
          tft::check_close(values_of(eager), want, dtype, "eager");
          // Compiles are slow; uint8 does not compile yet (tf::function refuses it).
          if (dtype == tf::float64 || dtype == tf::bfloat16 || dtype == tf::int8 ||
              dtype == tf::uint8)
            continue;
          auto f = tf::function([&](const tf::Tensor& a) { return pool(is_max, a, c, padding); });
          tft::check_close(values_of(f(x)), want, dtype, "compiled");
        }
}

TEST_CASE("channels-first pooling equals channels-last on the transposed input", "[pooling]") {
  tf::Tensor x = tf::constant(tft::random_floats(2 * 3 * 7 * 6, 3), {2, 3, 7, 6});
  tf::Tensor nhwc = tf::transpose(x, {0, 2, 3, 1});
  for (const char* padding : {"VALID", "SAME"}) {
    auto check = [&](const tf::Tensor& nchw, const tf::Tensor& last) {
      CHECK(values_of(nchw) == values_of(tf::transpose(last, {0, 3, 1, 2})));
    };
    check(tf::nn::max_pool2d(x, {3}, {2}, padding, "NCHW"),
          tf::nn::max_pool2d(nhwc, {3}, {2}, padding));
    check(tf::nn::avg_pool2d(x, {1, 1, 2, 3}, {1, 1, 2, 1}, padding, "NCHW"),
          tf::nn::avg_pool2d(nhwc, {2, 3}, {2, 1}, padding));
    check(tf::nn::pool(x, {2, 2}, "MAX", {2, 2}, padding, "NCHW"),
          tf::nn::max_pool2d(nhwc, {2}, {2}, padding));
  }
}

TEST_CASE("pooling compiles once for an unknown batch size", "[pooling]") {
  auto f = tf::function(
      [](const tf::Tensor& x) {
        return tf::nn::max_pool2d(x, {2}, {2}, "SAME") + tf::nn::avg_pool2d(x, {3}, {2}, "SAME");
      },
      {tf::TensorSpec({tf::kUnknownDim, 5, 5, 2})});
  for (int64_t batch : {1, 3, 0}) {
    tf::Tensor x = tf::constant(tft::random_floats(size_t(batch * 50), 4), {batch, 5, 5, 2});
    auto want = tf::nn::max_pool2d(x, {2}, {2}, "SAME") + tf::nn::avg_pool2d(x, {3}, {2}, "SAME");
    tft::check_close(values_of(f(x)), values_of(want), tf::float32,
                     "batch " + std::to_string(batch));
  }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("pooling gradients match central differences, eager and compiled",
          "[pooling][gradient]") {
  // Distinct values, so each window's maximum is unique and the max is differentiable.
  std::vector<double> v(2 * 7 * 6 * 2);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(double(i) * 1.7) * 3;
  tf::Tensor x = make(v, {2, 7, 6, 2}, tf::float64);
  for (const char* padding : {"VALID", "SAME"}) {
    for (auto [k, s] : {std::pair<int64_t, int64_t>{2, 2}, {3, 2}, {3, 1}, {2, 3}}) {
      const std::string what =
          std::string(padding) + " k" + std::to_string(k) + " s" + std::to_string(s);
      tft::check_gradients(
          [&](const auto& in) { return tf::nn::max_pool2d(in[0], {k}, {s}, padding); }, {x},
          "max " + what);
      tft::check_gradients(
          [&](const auto& in) { return tf::nn::avg_pool2d(in[0], {k}, {s}, padding); }, {x},
          "avg " + what);
    }
  }
  tft::check_gradients([&](const auto& in) { return tf::nn::max_pool1d(in[0], {3}, {2}, "SAME"); },
                       {make(v, {4, 21, 2}, tf::float64)}, "max_pool1d");
  tft::check_gradients([&](const auto& in) { return tf::nn::avg_pool3d(in[0], {2}, {2}, "SAME"); },
                       {make(v, {2, 3, 7, 2, 2}, tf::float64)}, "avg_pool3d");
}

TEST_CASE("a max pool's gradient goes to the first maximum of each window", "[pooling][gradient]") {
  tf::Tensor x = tf::constant(std::vector<float>{1, 1, 1, 1}, {1, 4, 1});
  auto grad = [&](int64_t k, int64_t s, const char* padding) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::reduce_sum(tf::nn::max_pool1d(x, {k}, {s}, padding));
    return values_of(tape.gradient(y, x));
  };
  CHECK(grad(2, 2, "VALID") == std::vector<double>{1, 0, 1, 0});
  CHECK(grad(2, 1, "VALID") == std::vector<double>{1, 1, 1, 0});  // overlapping windows
  CHECK(grad(3, 1, "SAME") == std::vector<double>{2, 1, 1, 0});   // padding never wins
  tf::Tensor nan = tf::constant(std::vector<float>{1, NAN, 3, 2}, {1, 4, 1});
  tf::GradientTape tape;
  tape.watch(nan);
  auto y = tf::nn::max_pool1d(nan, {2}, {2}, "VALID");
  CHECK(std::isnan(values_of(y)[0]));
  CHECK(values_of(tape.gradient(tf::reduce_sum(y), nan)) == std::vector<double>{0, 1, 1, 0});
}

TEST_CASE("pooling differentiates twice", "[pooling][gradient]") {
  // h(x) = sum(avg_pool(x)^2) on 1-D windows of 2, stride 1, over [a, b, c]: the pooled values
  // are (a+b)/2 and (b+c)/2, so the Hessian is [[1/2, 1/2, 0], [1/2, 1, 1/2], [0, 1/2, 1/2]].
  tf::Tensor x = tf::constant(std::vector<double>{1, 2, 4}, {1, 3, 1});
  tf::GradientTape outer;
  outer.watch(x);
  tf::Tensor g;
  {
    tf::GradientTape inner;
    inner.watch(x);
    g = inner.gradient(tf::reduce_sum(tf::square(tf::nn::avg_pool1d(x, {2}, {1}, "VALID"))), x);
  }
  CHECK(values_of(g) == std::vector<double>{1.5, 4.5, 3.0});
  auto h =
      outer.gradient(tf::reduce_sum(g * tf::constant(std::vector<double>{0, 1, 0}, {1, 3, 1})), x);
  CHECK(values_of(h) == std::vector<double>{0.5, 1, 0.5});
}

TEST_CASE("16-bit average pools sum and divide in float32", "[pooling]") {
  // 300 x 300 ones: the window sum 90000 is past float16's largest value (65504).
  for (tf::DType dtype : {tf::float16, tf::bfloat16}) {
    tf::Tensor x = tf::ones({1, 300, 300, 1}, dtype);
    CHECK(values_of(tf::nn::avg_pool2d(x, {300}, {1}, "VALID")) == std::vector<double>{1});
  }
}

TEST_CASE("pooling rejects bad arguments naming the op", "[pooling][errors]") {
  tf::Tensor x = tf::zeros({1, 4, 4, 2});
  CHECK_THROWS_WITH(tf::nn::max_pool2d(x, {0}, {1}, "VALID"), Catch::Contains("max_pool2d"));
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {2}, {-1}, "VALID"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {2, 2, 2}, {1}, "VALID"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {2}, {1}, "valid"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {2}, {1}, "VALID", "NHCW"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool1d(x, {2}, {1}, "VALID"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool(tf::zeros({4, 4}), {2}, {1}, "VALID"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {2, 2, 2, 1}, {1}, "VALID"), tf::UnimplementedError);
  CHECK_THROWS_WITH(tf::nn::avg_pool2d(tf::zeros({1, 4, 4, 2}, tf::int32), {2}, {1}, "VALID"),
                    Catch::Contains("avg_pool2d") && Catch::Contains("int32"));
  CHECK_THROWS_AS(tf::nn::max_pool2d(tf::zeros({1, 4, 4, 2}, tf::string), {2}, {1}, "VALID"),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::pool(x, {2, 2}, "MIN"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {int64_t{1} << 50}, {1}, "SAME"), tf::InvalidArgumentError);
  // Windows that would visit more than 2^24 elements per output are refused, not run for hours.
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {int64_t{1} << 20}, {1}, "SAME"), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::nn::max_pool2d(x, {1}, {int64_t{1} << 40}, "SAME"), tf::InvalidArgumentError);
  // A window larger than the input: VALID gives no windows, SAME one per stride.
  CHECK(tf::nn::max_pool2d(x, {5}, {1}, "VALID").shape() == tf::TensorShape{1, 0, 0, 2});
  CHECK(tf::nn::max_pool2d(x, {5}, {4}, "SAME").shape() == tf::TensorShape{1, 1, 1, 2});
  auto unknown =
      tf::function([](const tf::Tensor& t) { return tf::nn::max_pool1d(t, {2}, {2}, "VALID"); },
                   {tf::TensorSpec({1, tf::kUnknownDim, 2})});
  CHECK_THROWS_AS(unknown(tf::zeros({1, 4, 2})), tf::UnimplementedError);
}
