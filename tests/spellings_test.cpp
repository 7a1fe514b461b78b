// The spellings a TensorFlow user writes first (issue 18): each compiles and behaves as in
// TensorFlow, written as such a user writes it.
#include <sstream>

#include "tests/helpers.h"

TEST_CASE("C++ numbers where TensorFlow takes Python numbers, in the tensor's dtype",
          "[spellings]") {
  auto x = tf::constant({-1.0f, 2.0f, 3.0f});
  CHECK(tf::pow(x, 2).to_vector<float>() == std::vector<float>{1, 4, 9});
  CHECK(tf::maximum(x, 0).to_vector<float>() == std::vector<float>{0, 2, 3});
  CHECK(tf::add(x, 1).to_vector<float>() == std::vector<float>{0, 3, 4});
  CHECK(tf::subtract(10, x).to_vector<float>() == std::vector<float>{11, 8, 7});
  CHECK(tf::where(x > 0.0f, x, 0.f).to_vector<float>() == std::vector<float>{0, 2, 3});
  CHECK(tf::clip_by_value(x, 0, 2.5).to_vector<float>() == std::vector<float>{0, 2, 2.5f});
  auto i = tf::constant({2, 3});
  CHECK(tf::multiply(i, 2).to_vector<int32_t>() == std::vector<int32_t>{4, 6});
  CHECK(tf::multiply(i, 2).dtype() == tf::int32);
  CHECK_THROWS_AS(tf::add(i, 1.5), tf::InvalidArgumentError);  // not an int32, as TensorFlow
}

TEST_CASE("fill follows TensorFlow's literal dtypes", "[spellings]") {
  CHECK(tf::fill({2, 2}, 7).dtype() == tf::int32);
  CHECK(tf::fill({2, 2}, 7.0).dtype() == tf::float32);
  CHECK(tf::fill({2}, int64_t{7}).dtype() == tf::int64);
  CHECK(tf::fill({2}, 7, tf::float64).dtype() == tf::float64);
}

TEST_CASE("shapes and dtypes print, squeeze takes one axis, None is an unknown dim",
          "[spellings]") {
  auto t = tf::zeros({2, 1, 3});
  std::ostringstream os;
  os << t.shape() << " " << t.dtype();
  CHECK(os.str() == "(2, 1, 3) float32");
  CHECK(tf::squeeze(t, 1).shape() == tf::TensorShape{2, 3});
  tf::TensorSpec spec({tf::None, 3});
  CHECK(spec.to_string() == "TensorSpec(shape=(None, 3), dtype=float32)");
}

TEST_CASE("executing_eagerly is false inside a traced function", "[spellings][function]") {
  CHECK(tf::executing_eagerly());
  bool inside = true;
  auto f = tf::function([&](const tf::Tensor& x) {
    inside = tf::executing_eagerly();
    return x;
  });
  f(tf::constant(1.0f));
  CHECK_FALSE(inside);
}

TEST_CASE("tape.gradient with a braced list returns a list, also of one", "[spellings][gradient]") {
  tf::Variable w(tf::constant(3.0f), "w");
  auto x = tf::constant(2.0f);
  tf::GradientTape tape(/*persistent=*/true);
  tape.watch(x);
  auto loss = w * x * x;
  std::vector<tf::Tensor> one = tape.gradient(loss, {w});
  REQUIRE(one.size() == 1);
  CHECK(one[0].item<float>() == 4.0f);
  auto both = tape.gradient(loss, {w, x});
  REQUIRE(both.size() == 2);
  CHECK(both[1].item<float>() == 12.0f);
  std::vector<tf::Variable> variables = {w};
  CHECK(tape.gradient(loss, variables)[0].item<float>() == 4.0f);
}

TEST_CASE("variables take C++ values as TensorFlow takes Python ones", "[spellings][variable]") {
  tf::Variable bias(tf::zeros({2}), "bias");
  bias.assign({1, 2});  // int literals into a float32 variable, as bias.assign([1, 2])
  CHECK(bias.read_value().to_vector<float>() == std::vector<float>{1, 2});
  bias.assign_add({0.5f, 0.5f});
  bias.assign_sub(std::vector<double>{1.0, 1.0});
  CHECK(bias.read_value().to_vector<float>() == std::vector<float>{0.5f, 1.5f});
  tf::Variable s(tf::constant(1.0f), "s");
  s.assign(4.0);
  s.assign_add(1);
  CHECK(s.read_value().item<float>() == 5.0f);
  tf::Variable n(tf::constant(1), "n");
  CHECK_THROWS_AS(n.assign(1.5), tf::InvalidArgumentError);           // not an int32
  CHECK_THROWS_AS(bias.assign({1, 2, 3}), tf::InvalidArgumentError);  // wrong shape
}

TEST_CASE("string constants from a braced list", "[spellings]") {
  auto s = tf::constant({"a", "bc"});
  CHECK(s.dtype() == tf::string);
  CHECK(s.shape() == tf::TensorShape{2});
  CHECK(tf::to_string(s).find("bc") != std::string::npos);
}

TEST_CASE("tf::math and tf::nn hold the ops TensorFlow places there, flat names kept",
          "[spellings]") {
  auto x = tf::constant({-1.0f, 2.0f});
  CHECK(tf::math::add(x, 1).to_vector<float>() == std::vector<float>{0, 3});
  CHECK(tf::math::reduce_sum(x).item<float>() == 1.0f);
  CHECK(tf::math::cumsum(x).to_vector<float>() == std::vector<float>{-1, 1});
  CHECK(tf::math::reduce_mean(x).item<float>() == 0.5f);
  CHECK(tf::nn::relu(x).to_vector<float>() == std::vector<float>{0, 2});
  CHECK(tf::nn::softmax(x).shape() == tf::TensorShape{2});
}

TEST_CASE("shape arguments given as tensors, as tf.reshape(x, tf.shape(y)) takes them",
          "[spellings]") {
  tf::Tensor x = tf::range(0.0f, 6.0f), y = tf::zeros({2, 3});
  CHECK(tf::reshape(x, tf::shape(y)).shape() == tf::TensorShape{2, 3});
  CHECK(tf::reshape(x, tf::constant(std::vector<int64_t>{3, -1})).shape() == tf::TensorShape{3, 2});
  CHECK(tf::zeros(tf::shape(y)).shape() == tf::TensorShape{2, 3});
  CHECK(tf::ones(tf::shape(y), tf::int32).to_vector<int32_t>() == std::vector<int32_t>(6, 1));
  CHECK(tf::fill(tf::constant({2, 2}), 7).dtype() == tf::int32);
  CHECK(tf::fill(tf::constant({2}), 1.5, tf::float64).to_vector<double>() ==
        std::vector<double>{1.5, 1.5});
  CHECK(tf::broadcast_to(tf::constant(1.0f), tf::constant({3})).to_vector<float>() ==
        std::vector<float>{1, 1, 1});
  CHECK(tf::zeros({}).ndim() == 0);  // a braced list is still a TensorShape
  CHECK(tf::range(tf::shape(y)[0]).to_vector<int32_t>() == std::vector<int32_t>{0, 1});
  CHECK(tf::range(tf::constant(int64_t{3}), tf::int64).to_vector<int64_t>() ==
        std::vector<int64_t>{0, 1, 2});
  // Compiled with static dims, tf::shape is known while tracing.
  auto f = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) { return tf::reshape(a, tf::shape(b)); });
  CHECK(f(x, y).shape() == tf::TensorShape{2, 3});
  // With unknown dims its values are run-time sizes (tests/runtime_shapes_test.cpp); a shape
  // computed by arithmetic on them is not known while tracing: a typed error that says so.
  tf::FunctionOptions unknown;
  unknown.input_signature =
      std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None}), tf::TensorSpec({tf::None, 3})};
  auto g = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) { return tf::reshape(a, tf::shape(b)); },
      unknown);
  CHECK(tft::values_of(g(x, y)) == tft::values_of(x));
  CHECK(g(x, y).shape() == tf::TensorShape{2, 3});
  auto doubled = tf::function(
      [](const tf::Tensor& a, const tf::Tensor& b) { return tf::reshape(a, tf::shape(b) * 2); },
      unknown);
  CHECK_THROWS_WITH(doubled(x, y), Catch::Contains("reshape: the shape tensor is computed inside "
                                                   "the tf::function"));
  // Arithmetic on x.shape()'s -1 gives no size; the error says so.
  unknown.input_signature = std::vector<tf::TensorSpec>{tf::TensorSpec({tf::None, 3})};
  auto h =
      tf::function([](const tf::Tensor& a) { return tf::reshape(a, {a.shape()[0] * 3}); }, unknown);
  CHECK_THROWS_WITH(h(y), Catch::Contains("an unknown dim reads -1, tf::None, in x.shape()"));
  auto ok = tf::function([](const tf::Tensor& a) { return tf::reshape(a, {-1}); }, unknown);
  CHECK(ok(y).shape() == tf::TensorShape{6});
  CHECK_THROWS_AS(tf::reshape(x, tf::constant({2.0f, 3.0f})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::zeros(tf::constant({{2, 3}})), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::zeros(tf::constant(std::vector<int8_t>{2})), tf::InvalidArgumentError);
}
