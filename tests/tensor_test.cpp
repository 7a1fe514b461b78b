// Tensor creation, accessors, dtypes and TensorFlow-style printing.
#include "tests/helpers.h"

#include <sstream>

TEST_CASE("literals follow TensorFlow's rules: int -> int32, floating -> float32", "[tensor]") {
  CHECK(tf::constant({1.0f, 2.0f, 3.0f}).dtype() == tf::float32);
  CHECK(tf::constant({1.0, 2.0}).dtype() == tf::float32);
  CHECK(tf::constant({{1, 2, 3}, {4, 5, 6}}).dtype() == tf::int32);
  CHECK(tf::constant(3.0).dtype() == tf::float32);
  CHECK(tf::constant(true).dtype() == tf::bool_);
  CHECK(tf::constant(int64_t{5}).dtype() == tf::int64);
  CHECK(tf::constant(std::string("hi")).dtype() == tf::string);
}

TEST_CASE("typed vectors keep their dtype", "[tensor]") {
  CHECK(tf::constant(std::vector<double>{1, 2, 3}).dtype() == tf::float64);
  CHECK(tf::constant(std::vector<int64_t>{1}).dtype() == tf::int64);
  CHECK(tf::constant(std::vector<uint8_t>{1}).dtype() == tf::uint8);
  CHECK(tf::constant(std::vector<bool>{true, false}).to_vector<bool>() ==
        std::vector<bool>{true, false});
  auto t = tf::constant(std::vector<float>{1, 2, 3, 4, 5, 6}, tf::TensorShape{2, 3});
  CHECK(t.shape() == tf::TensorShape{2, 3});
  CHECK(t.ndim() == 2);
  CHECK(t.num_elements() == 6);
  CHECK(tf::constant(std::vector<int>{7}, tf::TensorShape{2, 2}).to_vector<int32_t>() ==
        std::vector<int32_t>(4, 7));
}

TEST_CASE("nested lists give their shape, ragged lists are rejected", "[tensor]") {
  auto m = tf::constant({{1, 2, 3}, {4, 5, 6}});
  CHECK(m.shape() == tf::TensorShape{2, 3});
  CHECK(m.to_vector<int32_t>() == std::vector<int32_t>{1, 2, 3, 4, 5, 6});
  auto cube = tf::constant({{{1.0f}, {2.0f}}, {{3.0f}, {4.0f}}});
  CHECK(cube.shape() == tf::TensorShape{2, 2, 1});
  CHECK_THROWS_AS(tf::constant({{1, 2}, {3}}), tf::InvalidArgumentError);
}

TEST_CASE("zeros, ones and fill", "[tensor]") {
  CHECK(tf::zeros({3, 4}).to_vector<float>() == std::vector<float>(12, 0.0f));
  auto o = tf::ones({2, 3}, tf::int32);
  CHECK(o.dtype() == tf::int32);
  CHECK(o.to_vector<int32_t>() == std::vector<int32_t>(6, 1));
  CHECK(tf::fill({2}, 2.5, tf::float64).to_vector<double>() == std::vector<double>{2.5, 2.5});
  CHECK(tf::zeros({0, 5}).num_elements() == 0);
  CHECK(tf::size(tf::zeros({3, 4})).item<int32_t>() == 12);
}

TEST_CASE("bad shapes and conversions raise typed errors", "[tensor][errors]") {
  // 2^62 elements fit in int64 but their bytes do not fit in memory's address space.
  CHECK_THROWS_AS(tf::zeros({int64_t{1} << 31, int64_t{1} << 31}), tf::ResourceExhaustedError);
  CHECK_THROWS_AS(tf::fill({int64_t{1} << 61, 3}, 1.0), tf::ResourceExhaustedError);
  CHECK_THROWS_AS(tf::zeros({-1}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::zeros({int64_t{1} << 40, int64_t{1} << 40}), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::constant(std::vector<float>{1, 2, 3}, tf::TensorShape{2, 2}),
                  tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::constant(1.5, tf::int32), tf::InvalidArgumentError);
  CHECK(tf::constant(2.0, tf::int32).item<int32_t>() == 2);
  CHECK_THROWS_AS(tf::constant(300, tf::uint8), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::constant({1.0f}).item<double>(), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::constant({1.0f, 2.0f}).item<float>(), tf::InvalidArgumentError);
  tf::Tensor null;
  CHECK_THROWS_AS(null.shape(), tf::InvalidArgumentError);
  CHECK_THROWS_AS(tf::add(null, null), tf::InvalidArgumentError);
}

TEST_CASE("float16 and bfloat16 round to nearest even", "[tensor][dtype]") {
  CHECK(static_cast<float>(tf::float16_t(1.0f)) == 1.0f);
  CHECK(static_cast<float>(tf::float16_t(65504.0f)) == 65504.0f);
  CHECK(std::isinf(static_cast<float>(tf::float16_t(65520.0f))));
  CHECK(static_cast<float>(tf::float16_t(1.0f + 1.0f / 2048)) == 1.0f);  // tie -> even
  CHECK(static_cast<float>(tf::float16_t(1.0f + 3.0f / 2048)) == 1.0f + 2.0f / 1024);
  CHECK(static_cast<float>(tf::float16_t(5.96046448e-8f)) == 5.96046448e-8f);  // smallest subnormal
  CHECK(std::isnan(static_cast<float>(tf::float16_t(NAN))));
  CHECK(static_cast<float>(tf::bfloat16_t(1.0f + 1.0f / 256)) == 1.0f);  // tie -> even
  CHECK(static_cast<float>(tf::bfloat16_t(3.0f)) == 3.0f);
}

TEST_CASE("cast follows TensorFlow's conversion rules", "[tensor][cast]") {
  auto f = tf::constant({-1.7f, 0.0f, 2.5f, NAN, 1e10f, -1e10f});
  CHECK(tf::cast(f, tf::int32).to_vector<int32_t>() ==
        std::vector<int32_t>{-1, 0, 2, 0, 2147483647, -2147483647 - 1});
  CHECK(tf::cast(f, tf::bool_).to_vector<bool>() ==
        std::vector<bool>{true, false, true, true, true, true});
  CHECK(tf::cast(tf::constant({true, false}), tf::float32).to_vector<float>() ==
        std::vector<float>{1, 0});
  CHECK(tf::cast(tf::constant({300}), tf::uint8).to_vector<uint8_t>()[0] == 44);  // integers wrap
  CHECK_THROWS_AS(tf::cast(tf::constant(std::string("a")), tf::int32), tf::InvalidArgumentError);
}

// Issue 18: bf16 <-> f16 failed to compile (two 16-bit floats: neither extends the other).
TEST_CASE("every compiled cast between compiled dtypes equals the eager cast", "[tensor][cast]") {
  const tf::DType dtypes[] = {tf::float16, tf::bfloat16, tf::float32, tf::float64, tf::int8,
                              tf::int16,   tf::int32,    tf::int64,   tf::bool_};
  const auto values = tf::constant({-3.0f, -0.5f, 0.0f, 1.5f, 100.0f});
  for (tf::DType from : dtypes)
    for (tf::DType to : dtypes) {
      INFO(tf::dtype_name(from) << " -> " << tf::dtype_name(to));
      auto x = tf::cast(values, from);
      auto f = tf::function([to](const tf::Tensor& t) { return tf::cast(t, to); });
      CHECK(tft::values_of(f(x)) == tft::values_of(tf::cast(x, to)));
    }
}

TEST_CASE("tensors print like TensorFlow", "[tensor][print]") {
  CHECK(tf::to_string(tf::constant({1.0f, 2.0f, 3.0f})) ==
        "tf.Tensor([1. 2. 3.], shape=(3,), dtype=float32)");
  CHECK(tf::to_string(tf::constant({{1, 2, 3}, {4, 5, 6}})) ==
        "tf.Tensor(\n[[1 2 3]\n [4 5 6]], shape=(2, 3), dtype=int32)");
  CHECK(tf::to_string(tf::constant(6.0f)) == "tf.Tensor(6.0, shape=(), dtype=float32)");
  CHECK(tf::to_string(tf::constant({1.0f, 2.5f})) ==
        "tf.Tensor([1.  2.5], shape=(2,), dtype=float32)");
  CHECK(tf::to_string(tf::constant({0.1f})) == "tf.Tensor([0.1], shape=(1,), dtype=float32)");
  CHECK(tf::to_string(tf::constant({1.0f, 10.5f})) ==
        "tf.Tensor([ 1.  10.5], shape=(2,), dtype=float32)");
  CHECK(tf::to_string(tf::constant({true, false})) ==
        "tf.Tensor([ True False], shape=(2,), dtype=bool)");
  CHECK(tf::to_string(tf::constant({1e-5f, 1.0f})) ==
        "tf.Tensor([1.e-05 1.e+00], shape=(2,), dtype=float32)");
  CHECK(tf::to_string(tf::constant(std::string("hi"))) ==
        "tf.Tensor(b'hi', shape=(), dtype=string)");
  CHECK(tf::to_string(tf::zeros({0})) == "tf.Tensor([], shape=(0,), dtype=float32)");
  std::ostringstream os;
  os << tf::constant(1.0f / 3.0f);
  CHECK(os.str() == "tf.Tensor(0.33333334, shape=(), dtype=float32)");
}

TEST_CASE("large tensors print summarised", "[tensor][print]") {
  std::vector<int32_t> v(2000);
  for (int i = 0; i < 2000; ++i) v[i] = i;
  CHECK(tf::to_string(tf::constant(v)) ==
        "tf.Tensor([   0    1    2 ... 1997 1998 1999], shape=(2000,), dtype=int32)");
  auto m = tf::to_string(tf::constant(v, tf::TensorShape{1000, 2}));
  CHECK(m ==
        "tf.Tensor(\n[[   0    1]\n [   2    3]\n [   4    5]\n ...\n [1994 1995]\n [1996 1997]\n "
        "[1998 1999]], "
        "shape=(1000, 2), dtype=int32)");
}

TEST_CASE("buffers are 64-byte aligned and tensors report the CPU device", "[tensor]") {
  auto cpu = tf::device_scope("/CPU:0");
  auto t = tf::zeros({3});
  CHECK(reinterpret_cast<uintptr_t>(t.data()) % 64 == 0);
  CHECK(t.device() == "/job:localhost/replica:0/task:0/device:CPU:0");
}
