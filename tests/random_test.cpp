// tf::random over the random_bits primitive: the exact bits against Philox (KAT-checked in
// creation_test) under the documented layout, eager and compiled; new draws at every call of a
// compiled function, reproducible after set_seed; each distribution's support and moments in
// every float dtype, eager and compiled; bad input.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "runtime/philox.h"
#include "tests/helpers.h"

namespace {

using tft::values_of;

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Word i of draw `counter` under Philox key `key`: counter (draw, block) with block = i mod
// ceil(n / 4), word i div ceil(n / 4).
uint32_t expected_word_with_key(uint64_t key, uint64_t draw, int64_t n, int64_t i) {
  const int64_t blocks = (n + 3) / 4;
  const auto block = static_cast<uint64_t>(i % blocks);
  uint32_t k[2] = {uint32_t(key), uint32_t(key >> 32)};
  uint32_t c[4] = {uint32_t(draw), uint32_t(draw >> 32), uint32_t(block), uint32_t(block >> 32)};
  uint32_t out[4];
  tf::rt::philox4x32_10(k, c, out);
  return out[i / blocks];
}

// The same after set_seed(seed): the key is splitmix(seed).
uint32_t expected_word(uint64_t seed, uint64_t draw, int64_t n, int64_t i) {
  return expected_word_with_key(splitmix(seed), draw, n, i);
}

// float32 uniform: the word's top 24 bits (the sign bit flipped: the word is read as int32).
double expected_uniform(uint32_t word) { return ((word >> 8) ^ 0x800000u) * 0x1.0p-24; }

std::vector<double> moments(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x / double(v.size());
  for (double x : v) var += (x - mean) * (x - mean) / double(v.size() - 1);
  return {mean, var};
}

const tf::DType kFloats[] = {tf::float16, tf::bfloat16, tf::float32, tf::float64};

}  // namespace

TEST_CASE("random bits are Philox words in the documented layout, eager and compiled", "[random]") {
  for (const tf::TensorShape& shape :
       std::vector<tf::TensorShape>{{}, {1}, {4}, {5}, {7}, {3, 5}, {2, 3, 7}, {1027}}) {
    INFO("shape " << shape.to_string());
    const int64_t n = shape.num_elements();
    std::vector<double> want;
    for (int64_t i = 0; i < n; ++i) want.push_back(expected_uniform(expected_word(11, 0, n, i)));
    tf::random::set_seed(11);
    tf::Tensor eager = tf::random::uniform(shape);
    CHECK(eager.shape() == shape);
    CHECK(values_of(eager) == want);
    auto f = tf::function([&] { return tf::random::uniform(shape); });
    tf::random::set_seed(11);
    CHECK(values_of(f()) == want);
  }
}

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vector", "[random]") {
  uint32_t key[2] = {0, 0}, ctr[4] = {0, 0, 0, 0}, out[4];
  tf::rt::philox4x32_10(key, ctr, out);
  CHECK(out[0] == 0x6627e8d5u);
  CHECK(out[1] == 0xe169c58du);
  CHECK(out[2] == 0xbc57ac4cu);
  CHECK(out[3] == 0x9b00dbd8u);
}

TEST_CASE("an op seed's stream is hashed into the key, eager and compiled", "[random]") {
  // The key is splitmix(seed) ^ splitmix(op_seed + 0x5851F42D4C957F2D); the counter is shared.
  const uint64_t op_seed = 7, stream = splitmix(op_seed + 0x5851F42D4C957F2Dull);
  const int64_t n = 9;
  auto want = [&](uint64_t draw) {
    std::vector<double> v;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t blocks = (n + 3) / 4;
      const uint64_t key = splitmix(13) ^ stream, block = uint64_t(i % blocks);
      uint32_t k[2] = {uint32_t(key), uint32_t(key >> 32)}, out[4];
      uint32_t c[4] = {uint32_t(draw), uint32_t(draw >> 32), uint32_t(block), 0};
      tf::rt::philox4x32_10(k, c, out);
      v.push_back(expected_uniform(out[i / blocks]));
    }
    return v;
  };
  tf::random::set_seed(13);
  tf::random::uniform({2});  // draw 0 without the op seed
  CHECK(values_of(tf::random::uniform({n}, 0, 1, tf::float32, op_seed)) == want(1));
  auto f = tf::function([&] { return tf::random::uniform({n}, 0, 1, tf::float32, op_seed); });
  CHECK(values_of(f()) == want(2));
}

TEST_CASE("random ops in a tf::function draw anew at every call, reproducibly after set_seed",
          "[random]") {
  auto f = tf::function([] {
    return std::vector<tf::Tensor>{tf::random::uniform({16}), tf::random::normal({16}),
                                   tf::random::uniform({16}, 0, 100, tf::int32)};
  });
  tf::random::set_seed(5);
  auto first = f(), second = f();
  for (size_t i = 0; i < 3; ++i) CHECK(values_of(first[i]) != values_of(second[i]));
  // The same sequence again, and eagerly: the state variables advance alike in both modes.
  tf::random::set_seed(5);
  auto again = f();
  tf::random::set_seed(5);
  std::vector<tf::Tensor> eager = {tf::random::uniform({16}), tf::random::normal({16}),
                                   tf::random::uniform({16}, 0, 100, tf::int32)};
  for (size_t i = 0; i < 3; ++i) {
    CHECK(values_of(again[i]) == values_of(first[i]));
    tft::check_close(values_of(eager[i]), values_of(first[i]), first[i].dtype(), "eager");
  }
  CHECK(f.trace_count() == 1);
}

TEST_CASE("an op seed selects a stream that set_seed restarts, eager and compiled", "[random]") {
  auto draw = [](uint64_t op_seed) {
    return values_of(tf::random::uniform({8}, 0, 1, tf::float32, op_seed));
  };
  tf::random::set_seed(1);
  auto a = draw(7), b = draw(7);
  tf::random::set_seed(1);
  CHECK(draw(7) == a);
  CHECK(draw(7) == b);
  CHECK(a != b);
  tf::random::set_seed(1);
  CHECK(draw(8) != a);
  auto f = tf::function([] { return tf::random::uniform({8}, 0, 1, tf::float32, 7); });
  tf::random::set_seed(1);
  CHECK(values_of(f()) == a);
}

TEST_CASE("random distributions have their support and moments in every float dtype", "[random]") {
  const int64_t n = 40000;
  const double se = 5 / std::sqrt(double(n));  // 5 standard errors of a unit-variance mean
  // The variance of a standard normal truncated to [-2, 2]: 1 - 4 phi(2) / (Phi(2) - Phi(-2)).
  const double truncated_var = 1 - 4 * std::exp(-2.0) / std::sqrt(2 * M_PI) / std::erf(M_SQRT2);
  for (tf::DType dtype : kFloats)
    for (bool compiled : {false, true}) {
      INFO(tf::dtype_name(dtype) << (compiled ? " compiled" : " eager"));
      tf::random::set_seed(3);
      auto run = [&](auto fn) { return values_of(compiled ? tf::function(fn)() : fn()); };
      auto u = run([&] { return tf::random::uniform({n}, -1, 3, dtype); });
      CHECK(*std::min_element(u.begin(), u.end()) >= -1);
      CHECK(*std::max_element(u.begin(), u.end()) <= 3);  // 16-bit floats may round up to 3
      auto mu = moments(u);
      CHECK(std::abs(mu[0] - 1) < se * std::sqrt(16 / 12.0) + 1e-2);
      CHECK(std::abs(mu[1] - 16 / 12.0) < 0.05);
      auto z = run([&] { return tf::random::normal({n}, 2, 3, dtype); });
      auto mz = moments(z);
      CHECK(std::abs(mz[0] - 2) < 3 * se + 2e-2);
      CHECK(std::abs(std::sqrt(mz[1]) - 3) < 0.1);
      auto t = run([&] { return tf::random::truncated_normal({n}, 0, 1, dtype); });
      for (double v : t) REQUIRE(std::abs(v) <= 2.0);
      auto mt = moments(t);
      CHECK(std::abs(mt[0]) < se);
      CHECK(std::abs(mt[1] - truncated_var) < 0.03);
    }
}

TEST_CASE("float64 uniform values carry 53 random bits", "[random]") {
  tf::random::set_seed(9);
  auto u = values_of(tf::random::uniform({1000}, 0, 1, tf::float64));
  int low_bits_set = 0;
  for (double v : u) {
    REQUIRE(v >= 0);
    REQUIRE(v < 1);
    const double scaled = std::ldexp(v, 53);
    REQUIRE(scaled == std::floor(scaled));
    low_bits_set += std::fmod(scaled, 1 << 29) != 0;  // bits below float32's reach
  }
  CHECK(low_bits_set > 990);
}

TEST_CASE("integer uniform draws every value from minval up to, not including, maxval",
          "[random]") {
  tf::random::set_seed(4);
  const int64_t n = 20000;
  auto k = tf::random::uniform({n}, -2, 3, tf::int32).to_vector<int32_t>();
  for (int v = -2; v < 3; ++v) CHECK(std::count(k.begin(), k.end(), v) > n / 5 - 600);
  CHECK(*std::min_element(k.begin(), k.end()) == -2);
  CHECK(*std::max_element(k.begin(), k.end()) == 2);
  auto bytes = values_of(tf::random::uniform({n}, -128, 128, tf::int8));
  CHECK(*std::min_element(bytes.begin(), bytes.end()) == -128);
  CHECK(*std::max_element(bytes.begin(), bytes.end()) == 127);
  auto ubytes = values_of(tf::random::uniform({n}, 0, 256, tf::uint8));
  CHECK(*std::min_element(ubytes.begin(), ubytes.end()) == 0);
  CHECK(*std::max_element(ubytes.begin(), ubytes.end()) == 255);
  // A range whose width a double rounds (2^60 + 200 -> 2^60 + 256) stays exact.
  auto skewed = tf::random::uniform({n}, -200, std::ldexp(1, 60), tf::int64).to_vector<int64_t>();
  CHECK(*std::min_element(skewed.begin(), skewed.end()) >= -200);
  CHECK(*std::max_element(skewed.begin(), skewed.end()) < (int64_t{1} << 60));
  auto wide = tf::random::uniform({n}, -std::ldexp(1, 61), std::ldexp(1, 61), tf::int64)
                  .to_vector<int64_t>();
  double mean = 0;
  for (int64_t v : wide) mean += std::ldexp(double(v), -61) / n;
  CHECK(std::abs(mean) < 5 * std::sqrt(1 / 3.0 / n));
  CHECK(std::set<int64_t>(wide.begin(), wide.end()).size() == size_t(n));
}

TEST_CASE("random ops with unknown dims around them, empty shapes and gradients", "[random]") {
  // A traced function with unknown dims: the noise has a static shape and broadcasts.
  auto f = tf::function([](const tf::Tensor& x) { return x + tf::random::uniform({3}); },
                        {tf::TensorSpec({tf::kUnknownDim, 3})});
  auto a = values_of(f(tf::zeros({2, 3}))), b = values_of(f(tf::zeros({5, 3})));
  CHECK(a.size() == 6);
  CHECK(b.size() == 15);
  CHECK(std::vector<double>(a.begin(), a.begin() + 3) !=
        std::vector<double>(b.begin(), b.begin() + 3));
  CHECK(tf::random::normal({0, 3}).shape() == tf::TensorShape{0, 3});
  CHECK(tf::function([] { return tf::random::normal({4, 0}); })().shape() == tf::TensorShape{4, 0});
  // No gradient flows into a random draw: d/dx sum(x * r) is r.
  tf::Tensor x = tf::ones({5});
  tf::GradientTape tape;
  tape.watch(x);
  tf::Tensor r = tf::random::uniform({5});
  tf::Tensor y = tf::reduce_sum(x * r);
  CHECK(values_of(tape.gradient(y, x)) == values_of(r));
}

TEST_CASE("eager draws from several threads never share words", "[random]") {
  tf::random::set_seed(2);
  std::vector<std::vector<double>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& out : drawn)
    threads.emplace_back([&out] {
      for (int i = 0; i < 50; ++i) {
        auto v = values_of(tf::random::uniform({8}, 0, 1, tf::float64));
        out.insert(out.end(), v.begin(), v.end());
      }
    });
  for (auto& t : threads) t.join();
  std::set<double> all;
  for (auto& v : drawn) all.insert(v.begin(), v.end());
  CHECK(all.size() == 4 * 50 * 8);
}

TEST_CASE("compiled calls and eager draws on several threads take every counter exactly once",
          "[random]") {
  // Each draw of 4 float32 values is identified by its counter: the words are Philox's.
  constexpr int kCalls = 40;
  constexpr int64_t kDraws = 2 * (2 * kCalls) + kCalls;  // two compiled threads, one eager
  std::map<std::vector<double>, int64_t> counter_of;
  for (int64_t c = 0; c <= kDraws; ++c) {
    std::vector<double> v;
    for (int64_t i = 0; i < 4; ++i) v.push_back(expected_uniform(expected_word(3, c, 4, i)));
    counter_of[v] = c;
  }
  auto two_draws = tf::function([] {
    return std::vector<tf::Tensor>{tf::random::uniform({4}), tf::random::uniform({4})};
  });
  two_draws();  // traced before the threads start
  tf::random::set_seed(3);
  std::vector<std::vector<std::vector<double>>> drawn(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i)
        for (const tf::Tensor& r : two_draws()) drawn[t].push_back(values_of(r));
    });
  threads.emplace_back([&] {
    for (int i = 0; i < kCalls; ++i) drawn[2].push_back(values_of(tf::random::uniform({4})));
  });
  for (auto& t : threads) t.join();
  std::multiset<int64_t> counters;
  for (const auto& thread : drawn)
    for (const auto& v : thread) counters.insert(counter_of.count(v) ? counter_of[v] : -1);
  std::multiset<int64_t> every;
  for (int64_t c = 0; c < kDraws; ++c) every.insert(c);
  CHECK(counters == every);
  // Each compiled call's two draws are consecutive counters, and the state moved past them all.
  for (int t = 0; t < 2; ++t)
    for (size_t i = 0; i + 1 < drawn[t].size(); i += 2)
      CHECK(counter_of[drawn[t][i + 1]] == counter_of[drawn[t][i]] + 1);
  CHECK(counter_of[values_of(tf::random::uniform({4}))] == kDraws);
}

TEST_CASE("a compiled call's gradient sees the random values its forward drew", "[random]") {
  auto masked = tf::function([](const tf::Tensor& x) {
    tf::Tensor mask = tf::random::uniform({6});
    return std::vector<tf::Tensor>{x * mask, mask};
  });
  tf::Tensor x = tf::constant(std::vector<float>{1, 2, 3, 4, 5, 6});
  std::set<std::vector<double>> masks;
  for (int call = 0; call < 3; ++call) {
    tf::GradientTape tape;
    tape.watch(x);
    std::vector<tf::Tensor> out = masked(x);
    tf::Tensor dx = tape.gradient(tf::reduce_sum(out[0]), x);
    CHECK(values_of(dx) == values_of(out[1]));
    masks.insert(values_of(out[1]));
  }
  CHECK(masks.size() == 3);  // a new mask at every call
}

TEST_CASE("random ops in a traced cond draw from sites both branches share", "[random][control]") {
  // The then branch draws once, the else branch twice: a call takes counters base + 0 (and + 1),
  // and the generator moves past max(1, 2) sites whichever branch ran.
  auto f = tf::function([](const tf::Tensor& pred) {
    return tf::cond(
        pred, [] { return tf::random::uniform({4}); },
        [] { return tf::random::uniform({4}) + tf::random::uniform({4}); });
  });
  auto uniform_at = [](uint64_t draw) {
    std::vector<double> v;
    for (int64_t i = 0; i < 4; ++i) v.push_back(expected_uniform(expected_word(9, draw, 4, i)));
    return v;
  };
  f(tf::constant(true));  // traced
  tf::random::set_seed(9);
  CHECK(values_of(f(tf::constant(true))) == uniform_at(0));
  std::vector<double> two = values_of(f(tf::constant(false)));
  for (int i = 0; i < 4; ++i)
    CHECK(two[i] == double(float(uniform_at(2)[i]) + float(uniform_at(3)[i])));
  CHECK(values_of(tf::random::uniform({4})) == uniform_at(4));
}

TEST_CASE("random ops in a traced while_loop draw distinct words at every iteration",
          "[random][control]") {
  // Iteration i's draw is Philox under key + (i + 1) * 0x9E3779B97F4A7C15 at the loop's site.
  for (std::optional<int64_t> limit : {std::optional<int64_t>{}, std::optional<int64_t>{8}}) {
    INFO("maximum_iterations " << (limit ? *limit : -1));
    auto rows = tf::function([limit](const tf::Tensor& n) {
      auto out = tf::while_loop(
          [n](const auto& v) { return v[0] < n; },
          [](const auto& v) {
            tf::Tensor row = tf::reshape(tf::one_hot(v[0], 5, 1, 0, tf::float32), {5, 1});
            return std::vector<tf::Tensor>{
                v[0] + 1, v[1] + row * tf::reshape(tf::random::uniform({3}), {1, 3})};
          },
          {tf::constant(int64_t{0}), tf::zeros({5, 3})}, limit);
      return out[1];
    });
    rows(tf::constant(int64_t{5}));  // traced
    tf::random::set_seed(4);
    std::vector<double> got = values_of(rows(tf::constant(int64_t{5})));
    const uint64_t key = splitmix(4);
    for (uint64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 3; ++j) {
        const uint64_t salted = key + (i + 1) * 0x9E3779B97F4A7C15ull;
        CHECK(got[i * 3 + j] == expected_uniform(expected_word_with_key(salted, 0, 3, j)));
      }
    // The call took one counter (the loop's site), and the next call draws anew.
    std::vector<double> again = values_of(rows(tf::constant(int64_t{5})));
    CHECK(again != got);
    CHECK(again[0] ==
          expected_uniform(expected_word_with_key(key + 0x9E3779B97F4A7C15ull, 1, 3, 0)));
  }
}

TEST_CASE("gradients through traced cond and while_loop see the masks their forward drew",
          "[random][control]") {
  // y = x * m_0 * m_1 * ... (a mask drawn per iteration): dy/dx is the product of the masks.
  for (std::optional<int64_t> limit : {std::optional<int64_t>{}, std::optional<int64_t>{4}}) {
    INFO("maximum_iterations " << (limit ? *limit : -1));
    auto step = tf::function([limit](const tf::Tensor& x) {
      tf::GradientTape tape;
      tape.watch(x);
      auto out =
          tf::while_loop([](const auto& v) { return v[0] < int64_t{3}; },
                         [](const auto& v) {
                           tf::Tensor mask = tf::random::uniform({4});
                           return std::vector<tf::Tensor>{v[0] + 1, v[1] * mask, v[2] * mask};
                         },
                         {tf::constant(int64_t{0}), x, tf::ones({4})}, limit);
      tf::Tensor dx = tape.gradient(tf::reduce_sum(out[1]), x);
      return std::vector<tf::Tensor>{dx, out[2]};
    });
    tf::Tensor x = tf::constant(std::vector<float>{1, -2, 3, 0.5f});
    std::set<std::vector<double>> masks;
    for (int call = 0; call < 2; ++call) {
      auto out = step(x);  // the product's factors in another order: equal to rounding
      std::vector<double> dx = values_of(out[0]), product = values_of(out[1]);
      for (size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == Approx(product[i]).epsilon(1e-6));
      masks.insert(product);
    }
    CHECK(masks.size() == 2);
  }
  auto branch = tf::function([](const tf::Tensor& x, const tf::Tensor& pred) {
    tf::GradientTape tape;
    tape.watch(x);
    auto out = tf::cond(
        pred,
        [&] {
          tf::Tensor mask = tf::random::uniform({4});
          return std::vector<tf::Tensor>{x * mask, mask};
        },
        [&] {
          return std::vector<tf::Tensor>{x * 2.0f, tf::fill({4}, 2.0f)};
        });
    return std::vector<tf::Tensor>{tape.gradient(tf::reduce_sum(out[0]), x), out[1]};
  });
  tf::Tensor x = tf::constant(std::vector<float>{1, -2, 3, 0.5f});
  for (bool pred : {true, false}) {
    auto out = branch(x, tf::constant(pred));
    CHECK(values_of(out[0]) == values_of(out[1]));
  }
}

TEST_CASE(
    "dropout inside a traced while_loop with an unknown batch: new masks per iteration, "
    "gradients through them",
    "[random][control]") {
  // y = dropout(dropout(x)) over two iterations, rate 0.5: kept elements are scaled by 2 each
  // time, so y is x * 4 where both masks kept it, else 0, and dy/dx = y / x.
  auto step = tf::function(
      [](const tf::Tensor& x) {
        tf::GradientTape tape;
        tape.watch(x);
        auto out =
            tf::while_loop([](const auto& v) { return v[0] < int64_t{2}; },
                           [](const auto& v) {
                             return std::vector<tf::Tensor>{v[0] + 1, tf::nn::dropout(v[1], 0.5)};
                           },
                           {tf::constant(int64_t{0}), x});
        return std::vector<tf::Tensor>{out[1], tape.gradient(tf::reduce_sum(out[1]), x)};
      },
      {tf::TensorSpec({tf::kUnknownDim, 64})});
  std::set<std::vector<double>> outputs;
  for (int64_t batch : {3, 5, 5}) {
    tf::Tensor x = tf::ones({batch, 64});
    auto out = step(x);
    std::vector<double> y = values_of(out[0]), dx = values_of(out[1]);
    REQUIRE(y.size() == size_t(batch * 64));
    int kept = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      CHECK((y[i] == 0 || y[i] == 4));
      CHECK(dx[i] == y[i]);
      kept += y[i] == 4;
    }
    CHECK(kept > 0);
    CHECK(kept < batch * 64 / 2);  // about a quarter survive both masks
    outputs.insert(y);
  }
  CHECK(outputs.size() == 3);  // the two batch-5 calls drew different masks
}

TEST_CASE("random ops reject bad arguments with typed errors", "[random]") {
  using tf::InvalidArgumentError;
  CHECK_THROWS_AS(tf::random::normal({2}, 0, 1, tf::int32), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::normal({2}, 0, -1), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::normal({2}, 0, INFINITY), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::truncated_normal({2}, 0, NAN), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 0, 1, tf::bool_), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 0, 1, tf::complex64), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 0, 1, tf::string), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 1, 0), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 0, NAN), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, -INFINITY, 0), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 3, 3, tf::int32), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 0.5, 3, tf::int32), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, 0, 129, tf::int8), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, -1, 5, tf::uint8), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({2}, -std::ldexp(1, 63), std::ldexp(1, 63), tf::int64),
                  InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::normal({-2}), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::normal({tf::kUnknownDim, 2}), InvalidArgumentError);
  CHECK_THROWS_AS(tf::random::uniform({int64_t{1} << 40, int64_t{1} << 40}), InvalidArgumentError);
}

TEST_CASE("a Generator from a seed draws Philox words under its own key, eager and compiled",
          "[random][generator]") {
  auto g = tf::random::Generator::from_seed(21);
  tf::random::set_seed(5);  // the global generator does not touch g's state
  std::vector<double> first, second;
  for (int64_t i = 0; i < 6; ++i) {
    first.push_back(expected_uniform(expected_word(21, 0, 6, i)));
    second.push_back(expected_uniform(expected_word(21, 1, 6, i)));
  }
  CHECK(values_of(g.uniform({6})) == first);
  tf::random::uniform({3});  // nor does a global draw
  auto f = tf::function([&](const tf::Tensor& scale) { return g.uniform({6}) * scale; });
  CHECK(values_of(f(tf::constant(1.0f))) == second);  // draw 1, compiled
  auto third = values_of(f(tf::constant(1.0f)));      // draw 2: new values at every call
  CHECK(third != second);
  g.reset_from_seed(21);
  CHECK(values_of(g.uniform({6})) == first);
  // Copies share the state, as references to one Python generator do.
  auto copy = g;
  CHECK(values_of(copy.uniform({6})) == second);
  CHECK(values_of(g.uniform({6})) == third);
  // Other distributions draw from it too: same seed, same values.
  auto a = tf::random::Generator::from_seed(3), b = tf::random::Generator::from_seed(3);
  CHECK(values_of(a.normal({64}, 1, 2, tf::float64)) ==
        values_of(b.normal({64}, 1, 2, tf::float64)));
  CHECK(values_of(a.truncated_normal({64})) == values_of(b.truncated_normal({64})));
  CHECK(values_of(a.uniform({64}, -5, 5, tf::int32)) ==
        values_of(b.uniform({64}, -5, 5, tf::int32)));
  auto m = moments(values_of(tf::random::Generator::from_seed(9).normal({100000}, 1, 2)));
  CHECK(std::abs(m[0] - 1) < 0.03);
  CHECK(std::abs(m[1] - 4) < 0.1);
}

TEST_CASE("Generator::split gives reproducible independent streams", "[random][generator]") {
  auto parent = tf::random::Generator::from_seed(1);
  auto kids = parent.split(3);
  REQUIRE(kids.size() == 3);
  std::set<std::vector<double>> draws;
  for (auto& k : kids) draws.insert(values_of(k.uniform({8})));
  draws.insert(values_of(parent.uniform({8})));
  CHECK(draws.size() == 4);  // no two streams alike
  auto again = tf::random::Generator::from_seed(1).split(3);
  CHECK(values_of(again[1].uniform({8})) ==
        values_of(tf::random::Generator::from_seed(1).split(3)[1].uniform({8})));
  CHECK(parent.split(0).empty());
  CHECK_THROWS_AS(parent.split(-1), tf::InvalidArgumentError);
  auto inside =
      tf::function([&](const tf::Tensor& x) { return x + parent.split(1)[0].normal({}); });
  CHECK_THROWS_AS(inside(tf::constant(1.0f)), tf::UnimplementedError);
  // The global generator is a Generator too.
  tf::random::set_seed(17);
  auto want = values_of(tf::random::uniform({5}));
  tf::random::set_seed(17);
  CHECK(values_of(tf::random::get_global_generator().uniform({5})) == want);
}
