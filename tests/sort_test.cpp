// Sorting (frontend/src/sort.cpp): sort, argsort, top_k and in_top_k against std::stable_sort in
// float64, every axis and direction, eagerly, compiled through the library call and through the
// generated rank kernels; gradients; bad arguments. TensorFlow's values: tests/nn_test.cpp.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "tests/gradient_helpers.h"
#include "tests/helpers.h"

namespace {

using tf::Tensor;

// The reference permutation of one line: stable, NaN above every number.
std::vector<int32_t> reference_order(const std::vector<double>& line, bool descending) {
  std::vector<int32_t> order(line.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    double x = line[static_cast<size_t>(a)], y = line[static_cast<size_t>(b)];
    if (std::isnan(x) || std::isnan(y))
      return descending ? std::isnan(x) && !std::isnan(y) : std::isnan(y) && !std::isnan(x);
    return descending ? x > y : x < y;
  });
  return order;
}

// argsort along `axis` of a (d0, d1, d2) tensor's values, by lines.
std::vector<int32_t> reference_argsort(const std::vector<double>& v,
                                       const std::vector<int64_t>& dims, int64_t axis,
                                       bool descending) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < 3; ++d)
    if (d < axis)
      outer *= dims[d];
    else if (d > axis)
      inner *= dims[d];
  const int64_t n = dims[static_cast<size_t>(axis)];
  std::vector<int32_t> out(v.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<double> line;
      for (int64_t j = 0; j < n; ++j)
        line.push_back(v[static_cast<size_t>((o * n + j) * inner + i)]);
      auto order = reference_order(line, descending);
      for (int64_t j = 0; j < n; ++j)
        out[static_cast<size_t>((o * n + j) * inner + i)] = order[static_cast<size_t>(j)];
    }
  return out;
}

TEST_CASE(
    "argsort and sort match a stable float64 sort on every axis, direction and dtype, "
    "eagerly and compiled (library call and generated rank kernels)") {
  const std::vector<int64_t> dims = {4, 7, 3};
  std::vector<double> v;
  auto r = tft::random_floats(84, 3);
  for (size_t i = 0; i < r.size(); ++i) v.push_back(std::round(r[i] * 4));  // ties
  v[5] = NAN;
  v[40] = NAN;
  for (tf::DType dtype : {tf::float32, tf::float64, tf::float16, tf::int32, tf::int64}) {
    std::vector<double> values = v;
    if (dtype == tf::int32 || dtype == tf::int64)
      for (double& x : values) x = std::isnan(x) ? 1 : x;  // no NaN
    Tensor x = tft::make(values, {4, 7, 3}, dtype);
    for (int64_t axis : {0, 1, 2})
      for (const char* direction : {"ASCENDING", "DESCENDING"}) {
        INFO(tf::dtype_name(dtype) << " axis " << axis << " " << direction);
        const bool descending = std::string(direction) == "DESCENDING";
        auto want = reference_argsort(tft::values_of(x), dims, axis, descending);
        auto sort_both = [&](const Tensor& t) {
          return std::vector<Tensor>{tf::argsort(t, axis, direction), tf::sort(t, axis, direction)};
        };
        std::vector<std::vector<Tensor>> runs = {sort_both(x)};
        for (bool library : {true, false})
          runs.push_back(
              tf::function(sort_both, tf::FunctionOptions{.host_library_calls = library})(x));
        for (const auto& got : runs) {
          CHECK(got[0].to_vector<int32_t>() == want);
          auto sorted = tft::values_of(got[1]), in = tft::values_of(x);
          for (size_t e = 0; e < want.size(); ++e) {
            // sorted[.., j, ..] = x[.., want[j], ..]
            const int64_t inner = axis == 2 ? 1 : axis == 1 ? 3 : 21;
            const int64_t n = dims[static_cast<size_t>(axis)];
            const auto j = (static_cast<int64_t>(e) / inner) % n;
            const auto from = static_cast<size_t>(static_cast<int64_t>(e) + (want[e] - j) * inner);
            CHECK((sorted[e] == in[from] || (std::isnan(sorted[e]) && std::isnan(in[from]))));
          }
        }
      }
  }
}

TEST_CASE("top_k gives the k largest per row, largest first, ties in index order") {
  Tensor x = tf::constant({{1.0f, 5.0f, 3.0f, 5.0f, -2.0f}, {0.0f, 0.0f, 7.0f, NAN, 1.0f}});
  for (bool compiled : {false, true}) {
    auto run = [](const Tensor& t) {
      auto r = tf::math::top_k(t, 3);
      return std::vector<Tensor>{r.values, r.indices};
    };
    auto r = compiled ? tf::function(run)(x) : run(x);
    CHECK(r[1].to_vector<int32_t>() == std::vector<int32_t>{1, 3, 2, 3, 2, 4});
    auto values = r[0].to_vector<float>();
    CHECK(values[0] == 5.0f);
    CHECK(values[2] == 3.0f);
    CHECK(std::isnan(values[3]));  // NaN above every number
    CHECK(values[5] == 1.0f);
  }
  CHECK(tf::math::top_k(x, 0).values.shape() == tf::TensorShape{2, 0});
  CHECK_THROWS_WITH(tf::math::top_k(x, 6), Catch::Contains("top_k: k must be in [0, 5]"));
  CHECK_THROWS_WITH(tf::sort(x, 0, "UP"), Catch::Contains("direction must be"));
  CHECK_THROWS_WITH(tf::sort(tf::constant(std::vector<bool>{true, false}, {2})),
                    Catch::Contains("dtype bool is not supported"));
}

TEST_CASE("in_top_k counts ties at the boundary as inside and raises on a target out of range") {
  Tensor predictions = tf::constant({{1.0f, 1.0f, 0.0f}, {0.0f, 1.0f, 1.0f}, {2.0f, NAN, 0.0f}});
  Tensor targets = tf::constant(std::vector<int32_t>{0, 2, 1}, {3});
  for (bool compiled : {false, true}) {
    auto f = [](const Tensor& t, const Tensor& p) { return tf::math::in_top_k(t, p, 1); };
    Tensor got = compiled ? tf::function(f)(targets, predictions) : f(targets, predictions);
    CHECK(got.to_vector<bool>() == std::vector<bool>{true, true, false});
  }
  Tensor bad = tf::constant(std::vector<int32_t>{0, 3, 1}, {3});
  CHECK_THROWS_WITH(tf::math::in_top_k(bad, predictions, 1),
                    Catch::Contains("a target is outside"));
  auto f =
      tf::function([](const Tensor& t, const Tensor& p) { return tf::math::in_top_k(t, p, 2); });
  CHECK_THROWS_WITH(f(bad, predictions), Catch::Contains("a target is outside"));
}

TEST_CASE("sort and top_k gradients match central differences in float64, to second order") {
  auto v = tft::random_floats(24, 9);
  Tensor x = tft::make(std::vector<double>(v.begin(), v.end()), {4, 6}, tf::float64);
  tft::check_gradients([](const std::vector<Tensor>& in) { return tf::sort(in[0], 0); }, {x},
                       "sort axis 0");
  tft::check_gradients(
      [](const std::vector<Tensor>& in) { return tf::math::top_k(in[0], 2).values; }, {x}, "top_k");
  tft::check_gradients(
      [](const std::vector<Tensor>& in) {
        tf::GradientTape tape;
        tape.watch(in[0]);
        Tensor y = tf::reduce_sum(tf::square(tf::sort(in[0], -1, "DESCENDING")) * in[0]);
        return tape.gradient(y, in[0]);
      },
      {x}, "sort, second order", 1e-5);
}

}  // namespace

TEST_CASE("unique gives the distinct values in order of first appearance, indices and counts") {
  auto x = tf::constant(std::vector<float>{3, 1, 3, NAN, 2, 1, NAN, 3}, {8});
  auto u = tf::unique_with_counts(x);
  auto y = u.y.to_vector<float>();
  REQUIRE(y.size() == 5);  // 3, 1, NaN, 2, NaN: each NaN is distinct, as in TensorFlow
  CHECK(y[0] == 3);
  CHECK(y[1] == 1);
  CHECK(std::isnan(y[2]));
  CHECK(y[3] == 2);
  CHECK(std::isnan(y[4]));
  CHECK(u.idx.dtype() == tf::int32);
  CHECK(u.idx.to_vector<int32_t>() == std::vector<int32_t>{0, 1, 0, 2, 3, 1, 4, 0});
  CHECK(u.count.to_vector<int32_t>() == std::vector<int32_t>{3, 2, 1, 1, 1});
  auto ints = tf::unique(tf::constant(std::vector<int64_t>{-5, 7, -5, -5}, {4}), tf::int64);
  CHECK(ints.y.to_vector<int64_t>() == std::vector<int64_t>{-5, 7});
  CHECK(ints.idx.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0, 0});
  auto empty = tf::unique(tf::zeros({0}));
  CHECK(empty.y.shape() == tf::TensorShape({0}));
  CHECK(empty.idx.shape() == tf::TensorShape({0}));
  // y is x's elements, so gradients flow back to the first occurrences.
  auto v = tf::constant(std::vector<double>{2, 5, 2}, {3});
  tf::GradientTape tape;
  tape.watch(v);
  auto g = tape.gradient(
      tf::reduce_sum(tf::unique(v).y * tf::constant(std::vector<double>{1, 10}, {2})), v);
  CHECK(g.to_vector<double>() == std::vector<double>{1, 10, 0});
  CHECK_THROWS_WITH(tf::unique(tf::zeros({2, 2})), Catch::Contains("unique: x must be 1-D"));
  // bool and string, as TensorFlow's tf.unique takes them.
  auto flags = tf::unique_with_counts(tf::constant(std::vector<bool>{true, true, false, true}, {4}),
                                      tf::int64);
  CHECK(flags.y.dtype() == tf::bool_);
  CHECK(flags.y.to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(flags.idx.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 0});
  CHECK(flags.count.to_vector<int64_t>() == std::vector<int64_t>{3, 1});
  auto words = tf::unique_with_counts(tf::constant({"b", "a", "b", "", "a", "b"}));
  CHECK(words.y.to_vector<std::string>() == std::vector<std::string>{"b", "a", ""});
  CHECK(words.idx.to_vector<int32_t>() == std::vector<int32_t>{0, 1, 0, 2, 1, 0});
  CHECK(words.count.to_vector<int32_t>() == std::vector<int32_t>{3, 2, 1});
  CHECK(tf::unique(tf::constant(std::vector<std::string>{}, {0})).y.shape() == tf::TensorShape{0});
  auto traced = tf::function([](const tf::Tensor& t) { return tf::unique(t).y; });
  CHECK_THROWS_AS(traced(x), tf::UnimplementedError);
}
