// Creation ops beyond tf::constant/zeros/ones/fill: ranges, identity matrices, one-hot, like-ops,
// and tf::random with TensorFlow's seed rules.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {

Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);

namespace detail {
Tensor range(double start, double limit, double delta, DType dtype);
}

// [start, limit) in steps of delta. Without a dtype, TensorFlow's inference from Python's
// literals: int32 when start, limit and delta are all of integral C++ types, else float32
// (tf::range(0, 12) is int32, tf::range(0.f, 12.f) float32).
template <class Start, class Limit, class Delta = int>
requires std::is_arithmetic_v<Start> && std::is_arithmetic_v<Limit> && std::is_arithmetic_v<Delta>
    Tensor range(Start start, Limit limit, Delta delta = 1,
                 std::optional<DType> dtype = std::nullopt) {
  constexpr bool integers =
      std::is_integral_v<Start> && std::is_integral_v<Limit> && std::is_integral_v<Delta>;
  return detail::range(static_cast<double>(start), static_cast<double>(limit),
                       static_cast<double>(delta), dtype.value_or(integers ? int32 : float32));
}
Tensor range(int64_t limit, DType dtype = int32);
// The limit as a scalar integer tensor (tf.range(tf.shape(x)[0])): its value must be known while
// tracing (see detail::shape_values in tensor.h).
template <std::same_as<Tensor> L>
Tensor range(const L& limit, DType dtype = int32) {
  return range(detail::scalar_value("range", limit), dtype);
}
// `num` evenly spaced values from start to stop inclusive.
Tensor linspace(double start, double stop, int64_t num, DType dtype = float32);
// An n x m (default n x n) identity matrix.
Tensor eye(int64_t n, int64_t m = -1, DType dtype = float32);
// One-hot encoding along a new last axis of size depth; indices outside [0, depth) give off_value.
Tensor one_hot(const Tensor& indices, int64_t depth, double on_value = 1, double off_value = 0,
               DType dtype = float32);

namespace random {
// Sets the global seed: afterwards the sequence of random ops is reproducible (TensorFlow's
// tf.random.set_seed). An op-level `seed` selects a separate reproducible stream.
void set_seed(uint64_t seed);
Tensor normal(const TensorShape& shape, double mean = 0, double stddev = 1, DType dtype = float32,
              std::optional<uint64_t> seed = std::nullopt);
// Uniform in [minval, maxval); integer dtypes need maxval > minval.
Tensor uniform(const TensorShape& shape, double minval = 0, double maxval = 1,
               DType dtype = float32, std::optional<uint64_t> seed = std::nullopt);
// Normal values more than 2 stddev from the mean are re-drawn.
Tensor truncated_normal(const TensorShape& shape, double mean = 0, double stddev = 1,
                        DType dtype = float32, std::optional<uint64_t> seed = std::nullopt);

// tf.random.Generator: a stream of random numbers with its own state (a Philox key and a draw
// counter, held in variables), untouched by set_seed and the global generator. Inside a
// tf::function a draw reads the state and advances it at every call, as the global generator's
// draws do. Copies share one state (as Python references to one generator do).
class Generator {
 public:
  static Generator from_seed(uint64_t seed);
  static Generator from_non_deterministic_state();
  Tensor normal(const TensorShape& shape, double mean = 0, double stddev = 1,
                DType dtype = float32);
  Tensor uniform(const TensorShape& shape, double minval = 0, double maxval = 1,
                 DType dtype = float32);
  Tensor truncated_normal(const TensorShape& shape, double mean = 0, double stddev = 1,
                          DType dtype = float32);
  // `count` new generators, reproducible from this one's state and independent of it and of
  // each other; advances this one. Eager only (as creating variables is).
  std::vector<Generator> split(int64_t count);
  // Back to the state from_seed(seed) gives.
  void reset_from_seed(uint64_t seed);

  struct State;  // frontend/src/random.cpp

 private:
  friend Generator get_global_generator();
  explicit Generator(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};
// The generator behind tf::random's functions (tf.random.get_global_generator()).
Generator get_global_generator();
}  // namespace random

}  // namespace tf
TFJIT_API_END
