// Indexing with TensorFlow's strided-slice semantics, checked against hand-computed NumPy
// results, eagerly and compiled.
#include <limits>

#include "tests/helpers.h"

namespace {
tf::Tensor iota(const tf::TensorShape& shape) {
  std::vector<int32_t> v(static_cast<size_t>(shape.num_elements()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i);
  return tf::constant(v, shape);
}
// Checks one index expression eagerly and inside tf::function.
template <class F>
void check(F f, const tf::Tensor& x, const tf::TensorShape& shape,
           const std::vector<int32_t>& want) {
  tf::Tensor eager = f(x);
  CHECK(eager.shape() == shape);
  CHECK(eager.to_vector<int32_t>() == want);
  tf::Tensor graph = tf::function(f)(x);
  CHECK(graph.shape() == shape);
  CHECK(graph.to_vector<int32_t>() == want);
}
}  // namespace

TEST_CASE("integer indices remove dimensions, negative ones count from the end", "[indexing]") {
  auto m = iota({3, 4});  // [[0..3], [4..7], [8..11]]
  check([](const tf::Tensor& t) { return t(1); }, m, {4}, {4, 5, 6, 7});
  check([](const tf::Tensor& t) { return t(-1, 2); }, m, {}, {10});
  check([](const tf::Tensor& t) { return t(tf::all, 1); }, m, {3}, {1, 5, 9});
  check([](const tf::Tensor& t) { return t(tf::ellipsis, -1); }, m, {3}, {3, 7, 11});
}

TEST_CASE("slices follow Python semantics, including negative steps and clamping", "[indexing]") {
  auto m = iota({3, 4});
  check([](const tf::Tensor& t) { return t(tf::slice(0, 2), tf::slice(1, 3)); }, m, {2, 2},
        {1, 2, 5, 6});
  check([](const tf::Tensor& t) { return t(tf::all, tf::slice(std::nullopt, std::nullopt, -1)); },
        m, {3, 4}, {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
  check(
      [](const tf::Tensor& t) {
        return t(tf::slice(std::nullopt, std::nullopt, 2), tf::slice(-3, 100));
      },
      m, {2, 3}, {1, 2, 3, 9, 10, 11});
  check([](const tf::Tensor& t) { return t(tf::slice(2, 0, -1), tf::slice(3, 0, -2)); }, m, {2, 2},
        {11, 9, 7, 5});
  check([](const tf::Tensor& t) { return t(tf::slice(2, 1)); }, m, {0, 4}, {});
  check([](const tf::Tensor& t) { return t(tf::newaxis, 0, tf::newaxis); }, m, {1, 1, 4},
        {0, 1, 2, 3});
}

TEST_CASE("bad indices raise InvalidArgumentError naming the dimension", "[indexing][errors]") {
  auto m = iota({3, 4});
  CHECK_THROWS_WITH(m(3), Catch::Contains("out of bounds") && Catch::Contains("(3, 4)"));
  CHECK_THROWS_AS(m(-4), tf::InvalidArgumentError);
  CHECK_THROWS_AS(m(int64_t{0x7fffffff}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(m(0, 0, 0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(m(tf::slice(0, 2, 0)), tf::InvalidArgumentError);
  CHECK_THROWS_AS(m(tf::ellipsis, tf::ellipsis), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::constant(5)(0), tf::InvalidArgumentError);
}

// Issue 18: steps near +-2^63 overflowed the element count (NumPy takes the first element) and
// the gradient tried to interleave 2^62 zeros.
TEST_CASE("slices with steps near plus or minus 2^63 take one element, with its gradient",
          "[indexing][sizes]") {
  auto x = tf::cast(tf::range(10), tf::float32);
  for (int64_t step : {int64_t{1} << 62, std::numeric_limits<int64_t>::max(), -(int64_t{1} << 62),
                       std::numeric_limits<int64_t>::min()}) {
    INFO("step " << step);
    const float want = step > 0 ? 0.0f : 9.0f;
    auto take = [step](const tf::Tensor& t) {
      return t(tf::slice(std::nullopt, std::nullopt, step));
    };
    tf::GradientTape tape;
    tape.watch(x);
    auto y = take(x);
    CHECK(y.to_vector<float>() == std::vector<float>{want});
    CHECK(tf::function(take)(x).to_vector<float>() == std::vector<float>{want});
    auto g = tape.gradient(tf::reduce_sum(y), x).to_vector<float>();
    CHECK(g[step > 0 ? 0 : 9] == 1.0f);
    CHECK(tf::reduce_sum(tf::constant(g)).item<float>() == 1.0f);
  }
}
