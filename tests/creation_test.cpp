// Creation ops and tf::random.
#include "runtime/philox.h"
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

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vector", "[random]") {
  uint32_t key[2] = {0, 0}, ctr[4] = {0, 0, 0, 0}, out[4];
  tf::rt::philox4x32_10(key, ctr, out);
  CHECK(out[0] == 0x6627e8d5u);
  CHECK(out[1] == 0xe169c58du);
  CHECK(out[2] == 0xbc57ac4cu);
  CHECK(out[3] == 0x9b00dbd8u);
}

TEST_CASE("random ops are reproducible after set_seed, and op seeds select streams", "[random]") {
  tf::random::set_seed(42);
  auto a = tf::random::normal({1000});
  auto b = tf::random::normal({1000});
  tf::random::set_seed(42);
  auto a2 = tf::random::normal({1000});
  CHECK(a.to_vector<float>() == a2.to_vector<float>());
  CHECK(a.to_vector<float>() != b.to_vector<float>());
  tf::random::set_seed(1);
  auto s1 = tf::random::uniform({8}, 0, 1, tf::float32, 7);
  tf::random::set_seed(1);
  auto s2 = tf::random::uniform({8}, 0, 1, tf::float32, 7);
  CHECK(s1.to_vector<float>() == s2.to_vector<float>());
}

TEST_CASE("random distributions have the right support and moments", "[random]") {
  tf::random::set_seed(3);
  int64_t n = 20000;
  auto z = values_of(tf::random::normal({n}, 2.0, 3.0, tf::float64));
  double mean = 0, var = 0;
  for (double v : z) mean += v / n;
  for (double v : z) var += (v - mean) * (v - mean) / (n - 1);
  CHECK(std::abs(mean - 2.0) < 5 * 3.0 / std::sqrt(double(n)));  // 5 standard errors
  CHECK(std::abs(std::sqrt(var) - 3.0) < 0.1);
  auto u = values_of(tf::random::uniform({n}, -1, 3));
  CHECK(*std::min_element(u.begin(), u.end()) >= -1);
  CHECK(*std::max_element(u.begin(), u.end()) < 3);
  auto k = tf::random::uniform({n}, 0, 5, tf::int32).to_vector<int32_t>();
  for (int v = 0; v < 5; ++v) CHECK(std::count(k.begin(), k.end(), v) > n / 5 - 500);
  CHECK(*std::max_element(k.begin(), k.end()) == 4);
  auto t = values_of(tf::random::truncated_normal({n}, 0, 1));
  for (double v : t) REQUIRE(std::abs(v) <= 2.0);
  CHECK_THROWS_AS(tf::random::uniform({2}, 3, 3, tf::int32), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::normal({2}, 0, 1, tf::int32), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::normal({-2}), tf::InvalidArgumentError);
  CHECK(tf::random::normal({2, 3}, 0, 1, tf::float16).dtype() == tf::float16);
}
