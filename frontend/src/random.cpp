// tf::random: Philox4x32-10 (runtime/philox.h, the generator TensorFlow uses), keyed by the global
// and op seeds. Each op call takes a fresh block of counters, so a sequence of calls is
// reproducible after set_seed, and an op seed selects its own stream.
#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>
#include <random>

#include "frontend/src/op_helpers.h"
#include "runtime/philox.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::random {

namespace {

struct Philox {
  uint32_t key[2];
  uint64_t counter;  // the block index; each block yields four 32-bit words

  void block(uint32_t out[4]) {
    uint32_t c[4] = {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0, 0};
    rt::philox4x32_10(key, c, out);
    ++counter;
  }
  uint32_t words[4];
  int used = 4;
  uint32_t next32() {
    if (used == 4) {
      block(words);
      used = 0;
    }
    return words[used++];
  }
  double uniform01() {  // 53 random bits in [0, 1)
    uint64_t bits = (uint64_t{next32()} << 32 | next32()) >> 11;
    return static_cast<double>(bits) * 0x1.0p-53;
  }
  double normal() {  // Box-Muller
    double u1 = uniform01(), u2 = uniform01();
    return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
  }
};

struct GlobalState {
  std::mutex mutex;
  uint64_t seed = std::random_device{}();
  uint64_t calls = 0;  // random ops made since the last set_seed
};
GlobalState& state() {
  static GlobalState s;
  return s;
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A generator for one op call: keyed by the global seed and the op seed (or, without one, the
// call's position since set_seed); the counter space is split by call so streams never overlap.
Philox generator(std::optional<uint64_t> op_seed) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  uint64_t call = s.calls++;
  uint64_t key = mix(s.seed ^ mix(op_seed ? *op_seed + 0x5851F42D4C957F2Dull : call));
  Philox g{};
  g.key[0] = static_cast<uint32_t>(key);
  g.key[1] = static_cast<uint32_t>(key >> 32);
  g.counter = op_seed ? call << 32 : 0;
  return g;
}

Tensor make(const TensorShape& shape, DType dtype, const char* op, std::optional<uint64_t> seed,
            const std::function<double(Philox&)>& draw) {
  detail::check_dtype(op, dtype, core::kNumeric);
  if (std::string e = core::validate_shape(shape); !e.empty())
    throw InvalidArgumentError(std::string(op) + ": " + e);
  Philox g = generator(seed);
  std::vector<double> v(static_cast<size_t>(shape.num_elements()));
  for (double& x : v) x = draw(g);
  return cast(constant(v, shape), dtype);
}

}  // namespace

void set_seed(uint64_t seed) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.seed = seed;
  s.calls = 0;
}

Tensor normal(const TensorShape& shape, double mean, double stddev, DType dtype,
              std::optional<uint64_t> seed) {
  detail::check_dtype("random::normal", dtype, core::kFloat);
  return make(shape, dtype, "random::normal", seed,
              [&](Philox& g) { return mean + stddev * g.normal(); });
}

Tensor truncated_normal(const TensorShape& shape, double mean, double stddev, DType dtype,
                        std::optional<uint64_t> seed) {
  detail::check_dtype("random::truncated_normal", dtype, core::kFloat);
  return make(shape, dtype, "random::truncated_normal", seed, [&](Philox& g) {
    double z;
    do z = g.normal();
    while (std::abs(z) > 2.0);
    return mean + stddev * z;
  });
}

Tensor uniform(const TensorShape& shape, double minval, double maxval, DType dtype,
               std::optional<uint64_t> seed) {
  if (is_integer(dtype)) {
    double lo = std::ceil(minval), span = std::floor(maxval) - lo;
    if (!(maxval > minval) || span < 1 || span > 9.2e18)
      throw InvalidArgumentError("random::uniform: integer ranges need maxval > minval, got [" +
                                 std::to_string(minval) + ", " + std::to_string(maxval) + ")");
    auto n = static_cast<uint64_t>(span);
    return make(shape, dtype, "random::uniform", seed, [=](Philox& g) {
      uint64_t bits = uint64_t{g.next32()} << 32 | g.next32();
      return lo + static_cast<double>(bits % n);
    });
  }
  if (!(maxval >= minval))
    throw InvalidArgumentError("random::uniform: maxval " + std::to_string(maxval) + " < minval " +
                               std::to_string(minval));
  return make(shape, dtype, "random::uniform", seed,
              [=](Philox& g) { return minval + (maxval - minval) * g.uniform01(); });
}

}  // namespace tf::random
