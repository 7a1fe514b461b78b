// Creation ops (tf::random has its own suite, tests/random_test.cpp).
#include "tests/helpers.h"

using tft::values_of;

TEST_CASE("range, linspace, eye, zeros_like and ones_like", "[creation]") {
  CHECK(tf::range(5).to_vector<int32_t>() == std::vector<int32_t>{0, 1, 2, 3, 4});
  CHECK(tf::range(10, 0, -3).to_vector<int32_t>() == std::vector<int32_t>{10, 7, 4, 1});
  auto r = tf::range(1, 2, 0.25);
  CHECK(r.dtype() == tf::float32);
  CHECK(r.to_vector<float>() == std::vector<float>{1, 1.25f, 1.5f, 1.75f});
  CHECK(tf::range(0.f, 3.f).dtype() == tf::float32);  // whole values, but float literals
  CHECK(tf::range(0.0, 3).to_vector<float>() == std::vector<float>{0, 1, 2});
  CHECK(tf::range(int64_t{2}, 4).dtype() == tf::int32);
  CHECK(tf::range(3, 3).num_elements() == 0);
  CHECK(tf::range(0, 4, 1, tf::float64).dtype() == tf::float64);
  CHECK_THROWS_AS(tf::range(0, 4, 0), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::range(0, INFINITY), tf::InvalidArgumentError);
  CHECK(tf::linspace(0, 1, 5).to_vector<float>() == std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1});
  CHECK(tf::linspace(2, 3, 1).to_vector<float>() == std::vector<float>{2});
  CHECK_THROWS_AS(tf::linspace(0, 1, -1), tf::InvalidArgumentError);
  CHECK(tf::eye(2, 3).to_vector<float>() == std::vector<float>{1, 0, 0, 0, 1, 0});
  CHECK(tf::eye(2, -1, tf::int32).to_vector<int32_t>() == std::vector<int32_t>{1, 0, 0, 1});
  CHECK_THROWS_AS(tf::eye(-2), tf::InvalidArgumentError);
  auto x = tf::constant({{1, 2}});
  CHECK(tf::zeros_like(x).to_vector<int32_t>() == std::vector<int32_t>{0, 0});
  CHECK(tf::ones_like(x).shape() == x.shape());
}

TEST_CASE("one_hot encodes along a new last axis, eagerly and compiled", "[creation]") {
  auto idx = tf::constant({0, 2, -1, 5});
  std::vector<float> want = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  auto eager = tf::one_hot(idx, 3);
  CHECK(eager.shape() == tf::TensorShape{4, 3});
  CHECK(eager.to_vector<float>() == want);
  auto f = tf::function([](const tf::Tensor& i) { return tf::one_hot(i, 3); });
  CHECK(f(idx).to_vector<float>() == want);
  CHECK(tf::one_hot(tf::constant({1}), 2, 5, -1, tf::int32).to_vector<int32_t>() ==
        std::vector<int32_t>{-1, 5});
  CHECK_THROWS_AS(tf::one_hot(tf::constant({1.0f}), 2), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::one_hot(idx, -1), tf::InvalidArgumentError);
}
