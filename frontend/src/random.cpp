// tf::random: every distribution is a composite of public ops over the bits of the random_bits
// primitive (Philox4x32-10, runtime/primitives/random_bits.h), so random ops trace like any
// other: inside a tf::function they read the global generator's state (two internal variables,
// a key and a draw counter) and advance it, and each call of the compiled function draws anew,
// as TensorFlow's stateful random ops do. set_seed resets the state, so a sequence of calls,
// eager or compiled, is reproducible; an op seed selects its own stream (XORed into the key).
#include <cmath>
#include <mutex>
#include <random>

#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"  // VariableImpl
#include "runtime/primitives/random_bits.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"
#include "tfjit/variable.h"

namespace tf::random {

using detail::TraceContext;

namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

int64_t key_of_seed(uint64_t seed) { return static_cast<int64_t>(mix(seed)); }

}  // namespace

// A generator's state. Every draw takes its counter and advances it in one step
// (VariableImpl::fetch_add): an eager draw by one, a compiled call by all its draws as it reads
// the counter (function.cpp), so threads never share words. The mutex keeps the key and counter
// of one seed together for eager draws, compiled calls and set_seed.
struct Generator::State {
  explicit State(uint64_t seed)
      : key(constant(key_of_seed(seed)), "random/key", false),
        counter(constant(int64_t{0}), "random/counter", false) {
    key.impl()->generator_mutex = counter.impl()->generator_mutex = mutex;
  }
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  Variable key, counter;
  // Set directly, not through Variable::assign, which a tf::function being traced would capture.
  void reset(uint64_t seed) {
    std::lock_guard lock(*mutex);
    key.impl()->set_value(constant(key_of_seed(seed)));
    counter.impl()->set_value(constant(int64_t{0}));
  }
};

namespace {

using State = Generator::State;

const std::shared_ptr<State>& global() {
  static const std::shared_ptr<State> g = std::make_shared<State>(std::random_device{}());
  return g;
}
State& global_state() { return *global(); }

// tfjit.random_bits: `shape` int32 words for (key ^ stream, counter).
// `like` (or null): a tensor of `shape` whose unknown dims (while tracing) it supplies.
Tensor random_bits(const char* op, const Tensor& key, const Tensor& counter, uint64_t stream,
                   const TensorShape& shape, const Tensor* like) {
  auto attributes = [&] {
    return std::vector<compiler::NamedAttr>{{"stream", static_cast<int64_t>(stream)}};
  };
  const auto at = [](const Tensor& t) {  // the key and counter may live on a GPU
    const Tensor host = detail::to_cpu(t);
    return static_cast<uint64_t>(*static_cast<const int64_t*>(detail::raw(host)));
  };
  const detail::PrimitiveOp primitive{op, "random_bits", ops::Primitive::random_bits};
  if (like && !shape.is_fully_defined())
    return detail::run_primitive<rt::RandomBitsKernel>(
        primitive, attributes, int32, shape,
        [&](rt::RandomBitsKernel kernel, const Tensor& out, const Tensor& k, const Tensor& c,
            const Tensor&) {
          kernel(detail::raw_mut(out), {at(k) ^ stream, at(c), out.num_elements()});
        },
        key, counter, *like);
  return detail::run_primitive<rt::RandomBitsKernel>(
      primitive, attributes, int32, shape,
      [&](rt::RandomBitsKernel kernel, const Tensor& out, const Tensor& k, const Tensor& c) {
        kernel(detail::raw_mut(out), {at(k) ^ stream, at(c), out.num_elements()});
      },
      key, counter);
}

// One draw of `shape` words from generator `g`, advancing it; `like` as random_bits takes it.
Tensor draw(State& g, const char* op, const TensorShape& shape, std::optional<uint64_t> seed,
            const Tensor* like = nullptr) {
  if (!like || shape.is_fully_defined())
    if (std::string e = core::validate_shape(shape); !e.empty())
      throw InvalidArgumentError(std::string(op) + ": " + e);
  auto* trace = TraceContext::current();
  const uint64_t stream = seed ? mix(*seed + 0x5851F42D4C957F2Dull) : 0;
  if (trace) {
    Tensor counter = g.counter.read_value();
    if (auto& region = trace->draw_sites(); region.in_region) {  // a site (trace.h)
      auto& site = region.site(g.counter.impl(), counter);
      Tensor key = g.key.read_value();
      if (region.salt.defined()) key = add(key, region.salt);
      return random_bits(op, key, add(site.base, constant(site.next++)), stream, shape, like);
    }
    Tensor bits = random_bits(op, g.key.read_value(), counter, stream, shape, like);
    trace->advance_counter(g.counter.impl(), add(counter, constant(int64_t{1})));
    return bits;
  }
  Tensor key, counter;
  {
    std::lock_guard lock(*g.mutex);  // the key and counter of one seed (see reset)
    key = g.key.read_value();
    counter = constant(g.counter.impl()->fetch_add(1));
  }
  return random_bits(op, key, counter, stream, shape, like);
}

// Uniform in [0, 1), exactly representable: `bits` (<= 31) top bits of each word, of `dtype`.
Tensor unit_from(const Tensor& words, int bits, DType dtype) {
  Tensor top = floordiv(words, constant(int32_t{1} << (32 - bits))) +
               constant(int32_t{1} << (bits - 1));  // [0, 2^bits)
  return cast(top, dtype) * fill({}, std::ldexp(1.0, -bits), dtype);
}

// Uniform in [0, 1) of a floating `dtype`, with every bit its mantissa holds.
Tensor unit_uniform(State& g, const char* op, const TensorShape& shape, DType dtype,
                    std::optional<uint64_t> seed, const Tensor* like = nullptr) {
  switch (dtype) {
    case float16:
      return unit_from(draw(g, op, shape, seed, like), 11, dtype);
    case bfloat16:
      return unit_from(draw(g, op, shape, seed, like), 8, dtype);
    case float32:
      return unit_from(draw(g, op, shape, seed, like), 24, dtype);
    default: {  // float64: 26 + 27 bits from two words
      Tensor hi = unit_from(draw(g, op, shape, seed, like), 26, float64);
      Tensor lo = unit_from(draw(g, op, shape, seed, like), 27, float64);
      return hi + lo * std::ldexp(1.0, -26);
    }
  }
}

// The dtype normal values are computed in: float32 for the 16-bit floats.
DType compute_dtype(DType dtype) { return dtype == float64 ? float64 : float32; }

// Standard normal values by Box-Muller (one of each pair).
Tensor standard_normal(State& g, const char* op, const TensorShape& shape, DType dtype,
                       std::optional<uint64_t> seed) {
  Tensor u1 = unit_uniform(g, op, shape, dtype, seed), u2 = unit_uniform(g, op, shape, dtype, seed);
  return sqrt(log1p(-u1) * -2.0) * cos(u2 * (2 * M_PI));  // 1 - u1 > 0: the log is finite
}

void check_float(const char* op, DType dtype) { detail::check_dtype(op, dtype, core::kFloat); }

void check_stddev(const char* op, double stddev) {
  if (!(stddev >= 0) || std::isinf(stddev))
    throw InvalidArgumentError(std::string(op) + ": stddev must be finite and >= 0, got " +
                               std::to_string(stddev));
}

// Integer uniform in [minval, maxval): a uniform 64-bit value from two words, reduced modulo the
// range (a bias below range / 2^64, as TensorFlow's).
Tensor integer_uniform(State& g, const TensorShape& shape, double minval, double maxval,
                       DType dtype, std::optional<uint64_t> seed) {
  const char* op = "random::uniform";
  const double lowest = dtype == uint8 ? 0 : -std::ldexp(1.0, int(dtype_size(dtype)) * 8 - 1);
  const double highest = dtype == uint8 ? 256 : std::ldexp(1.0, int(dtype_size(dtype)) * 8 - 1);
  if (minval != std::floor(minval) || maxval != std::floor(maxval) || !(maxval > minval) ||
      minval < lowest || maxval > highest ||
      static_cast<__int128>(maxval) - static_cast<__int128>(minval) >= (__int128{1} << 63))
    throw InvalidArgumentError(std::string(op) + ": " + std::string(dtype_name(dtype)) +
                               " needs integers minval < maxval within its range, got [" +
                               std::to_string(minval) + ", " + std::to_string(maxval) + ")");
  // Exact: both bounds are integers within [-2^63, 2^63], so their difference needs 65 bits.
  const int64_t lo = static_cast<int64_t>(minval);
  const auto span = static_cast<int64_t>(static_cast<__int128>(maxval) - lo);
  Tensor hi_word = cast(draw(g, op, shape, seed), int64),
         lo_word = cast(draw(g, op, shape, seed), int64);
  // hi * 2^32 + (lo + 2^31): every int64 value once, with no overflow.
  Tensor u = hi_word * constant(int64_t{1} << 32) + (lo_word + constant(int64_t{1} << 31));
  return cast(floormod(u, constant(span)) + constant(lo), dtype);
}

// The distributions, on any generator's state.
Tensor normal_from(State& g, const TensorShape& shape, double mean, double stddev, DType dtype,
                   std::optional<uint64_t> seed) {
  const char* op = "random::normal";
  check_float(op, dtype);
  check_stddev(op, stddev);
  const DType c = compute_dtype(dtype);
  return cast(standard_normal(g, op, shape, c, seed) * stddev + mean, dtype);
}

// By inverting the normal CDF over [-2, 2]: sqrt(2) erfinv(v) for v uniform in
// (-erf(sqrt 2), erf(sqrt 2)), with Giles' single-precision erfinv ("Approximating the erfinv
// function", 2010: relative error ~1e-7; that branch covers |v| < 0.9545 entirely). No
// rejection loop, so a compiled function draws a fixed number of words.
Tensor truncated_normal_from(State& g, const TensorShape& shape, double mean, double stddev,
                             DType dtype, std::optional<uint64_t> seed) {
  const char* op = "random::truncated_normal";
  check_float(op, dtype);
  check_stddev(op, stddev);
  const DType c = compute_dtype(dtype);
  Tensor v = (unit_uniform(g, op, shape, c, seed) * 2.0 - 1.0) * 0.9544997361036416;
  Tensor w = -log((1.0 - v) * (1.0 + v)) - 2.5;
  Tensor p = fill({}, 2.81022636e-08, c);
  for (double k : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                   -0.00417768164, 0.246640727, 1.50140941})
    p = p * w + k;
  Tensor z = clip_by_value(p * v * M_SQRT2, -2.0, 2.0);  // the approximation stays in bounds
  return cast(z * stddev + mean, dtype);
}

Tensor uniform_from(State& g, const TensorShape& shape, double minval, double maxval, DType dtype,
                    std::optional<uint64_t> seed) {
  const char* op = "random::uniform";
  detail::check_dtype(op, dtype, core::kNumeric);
  if (is_integer(dtype)) return integer_uniform(g, shape, minval, maxval, dtype, seed);
  if (!(maxval >= minval) || std::isinf(maxval - minval))
    throw InvalidArgumentError(std::string(op) + ": needs finite minval <= maxval, got [" +
                               std::to_string(minval) + ", " + std::to_string(maxval) + ")");
  return unit_uniform(g, op, shape, dtype, seed) * (maxval - minval) + minval;
}

}  // namespace

void set_seed(uint64_t seed) { global_state().reset(seed); }

}  // namespace tf::random

namespace tf::detail {
Tensor uniform_like(const char* op, const Tensor& like, DType dtype, std::optional<uint64_t> seed) {
  detail::check_dtype(op, dtype, core::kFloat);
  return random::unit_uniform(random::global_state(), op, like.shape(), dtype, seed, &like);
}
}  // namespace tf::detail

namespace tf::random {

Tensor normal(const TensorShape& shape, double mean, double stddev, DType dtype,
              std::optional<uint64_t> seed) {
  return normal_from(global_state(), shape, mean, stddev, dtype, seed);
}
Tensor truncated_normal(const TensorShape& shape, double mean, double stddev, DType dtype,
                        std::optional<uint64_t> seed) {
  return truncated_normal_from(global_state(), shape, mean, stddev, dtype, seed);
}
Tensor uniform(const TensorShape& shape, double minval, double maxval, DType dtype,
               std::optional<uint64_t> seed) {
  return uniform_from(global_state(), shape, minval, maxval, dtype, seed);
}

Generator Generator::from_seed(uint64_t seed) { return Generator(std::make_shared<State>(seed)); }
Generator Generator::from_non_deterministic_state() {
  std::random_device device;  // 64 bits: 32 would make two generators collide past ~65k of them
  return from_seed((uint64_t{device()} << 32) ^ device());
}
Generator get_global_generator() { return Generator(global()); }

Tensor Generator::normal(const TensorShape& shape, double mean, double stddev, DType dtype) {
  return normal_from(*state_, shape, mean, stddev, dtype, std::nullopt);
}
Tensor Generator::uniform(const TensorShape& shape, double minval, double maxval, DType dtype) {
  return uniform_from(*state_, shape, minval, maxval, dtype, std::nullopt);
}
Tensor Generator::truncated_normal(const TensorShape& shape, double mean, double stddev,
                                   DType dtype) {
  return truncated_normal_from(*state_, shape, mean, stddev, dtype, std::nullopt);
}
void Generator::reset_from_seed(uint64_t seed) {
  if (TraceContext::current())  // it would happen once, while tracing, not at each call
    throw UnimplementedError(
        "random::Generator::reset_from_seed: not inside a tf::function; reset it before");
  state_->reset(seed);
}

// Child i's seed is two Philox words drawn from this generator (one draw, advancing it), mixed
// with i: reproducible from this state, and a child's key never equals a draw-derived one.
std::vector<Generator> Generator::split(int64_t count) {
  if (TraceContext::current())
    throw UnimplementedError(
        "random::Generator::split: not inside a tf::function (it creates variables); split "
        "before it and draw from the children inside");
  if (count < 0 || count > (int64_t{1} << 24))
    throw InvalidArgumentError("random::Generator::split: count must be in [0, 2^24], got " +
                               std::to_string(count));
  auto words = draw(*state_, "random::Generator::split", {2}, std::nullopt).to_vector<int32_t>();
  const uint64_t base = (static_cast<uint64_t>(static_cast<uint32_t>(words[0])) << 32) |
                        static_cast<uint32_t>(words[1]);
  std::vector<Generator> children;
  for (int64_t i = 0; i < count; ++i)
    children.push_back(from_seed(mix(base ^ mix(static_cast<uint64_t>(i) + 1))));
  return children;
}

}  // namespace tf::random
