// tf::GradientTape: reverse-mode automatic differentiation, as TensorFlow's tf.GradientTape.
//
//   tf::Variable x(3.0f);
//   tf::GradientTape tape;             // records from construction
//   auto y = x * x;
//   auto dy_dx = tape.gradient(y, x);  // 6.0
//
// Ops record themselves when any of their inputs is watched (a watched tensor, a variable read
// while recording, or the result of a recorded op). Gradient rules are written with public ops,
// so nested tapes give higher-order derivatives, and the rules also run inside tf::function.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"
#include "tfjit/variable.h"

TFJIT_API_BEGIN
namespace tf {

namespace detail {
struct TapeImpl;
}

enum class UnconnectedGradients { NONE, ZERO };
inline constexpr bool persistent = true;

// A source or target of differentiation: a tensor, or a variable (all reads of it while
// recording).
class Source {
 public:
  Source(const Tensor& t) : tensor_(t) {}             // NOLINT
  Source(const Variable& v) : variable_(v.impl()) {}  // NOLINT
  const Tensor& tensor() const { return tensor_; }
  const std::shared_ptr<detail::VariableImpl>& variable() const { return variable_; }

 private:
  Tensor tensor_;
  std::shared_ptr<detail::VariableImpl> variable_;
};

class GradientTape {
 public:
  // persistent: allow several gradient() calls. watch_accessed_variables: watch every trainable
  // variable read while recording.
  explicit GradientTape(bool persistent = false, bool watch_accessed_variables = true);
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  // Watches a float or complex tensor (others are not differentiable and are ignored, as in TF).
  void watch(const Tensor& t);
  void watch(const Variable& v);

  // d(sum of target)/d(source). An unconnected source gives a null Tensor (NONE) or zeros (ZERO).
  // A non-persistent tape allows one call (then FailedPreconditionError); recording stops at it,
  // and the tape lets go of the values it saved (as TensorFlow's does).
  Tensor gradient(const Tensor& target, const Source& source,
                  UnconnectedGradients unconnected = UnconnectedGradients::NONE);
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Source>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::NONE);
  // A braced list is a list, as TensorFlow's [w]: tape.gradient(loss, {w}) returns one gradient
  // in a vector (an initializer_list parameter wins overload resolution over the others).
  std::vector<Tensor> gradient(const Tensor& target, std::initializer_list<Source> sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::NONE) {
    return gradient(target, std::vector<Source>(sources), unconnected);
  }
  // The model.trainable_variables idiom: a list of variables.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::NONE) {
    return gradient(target, std::vector<Source>(sources.begin(), sources.end()), unconnected);
  }
  // Jacobian of target (any shape) with respect to source: shape target.shape + source.shape.
  Tensor jacobian(const Tensor& target, const Source& source,
                  UnconnectedGradients unconnected = UnconnectedGradients::NONE);
  // For target (b, ...) and source (b, ...) whose rows are independent: shape (b, t..., s...).
  Tensor batch_jacobian(const Tensor& target, const Tensor& source,
                        UnconnectedGradients unconnected = UnconnectedGradients::NONE);

  // Pauses recording for the guard's lifetime.
  class StopRecording {
   public:
    explicit StopRecording(GradientTape& tape);
    ~StopRecording();
    StopRecording(const StopRecording&) = delete;
    StopRecording& operator=(const StopRecording&) = delete;

   private:
    GradientTape& tape_;
    bool was_recording_;
  };
  StopRecording stop_recording() { return StopRecording(*this); }

 private:
  std::unique_ptr<detail::TapeImpl> impl_;
};

// The same values, seen by tapes as a constant: no gradient flows through.
Tensor stop_gradient(const Tensor& x);

namespace detail {
// Runs forward with every tape paused, then records one op whose backward is `backward`.
Tensor custom_gradient_call(const std::vector<Tensor>& inputs,
                            const std::function<Tensor()>& forward,
                            std::function<std::vector<Tensor>(const Tensor&)> backward);
}  // namespace detail

// tf.custom_gradient: `forward(x...)` computes the result; `backward(x..., y, upstream)` returns
// one gradient per input (a null Tensor for none). Tapes see a single op.
//
//   auto safe_log1pexp = tf::custom_gradient(
//       [](const tf::Tensor& x) { return tf::softplus(x); },
//       [](const tf::Tensor& x, const tf::Tensor& y, const tf::Tensor& g) {
//         return std::vector<tf::Tensor>{g * tf::sigmoid(x)};
//       });
template <class Forward, class Backward>
auto custom_gradient(Forward forward, Backward backward) {
  return [forward, backward](const auto&... xs) -> Tensor {
    std::vector<Tensor> inputs{Tensor(xs)...};
    auto result = std::make_shared<Tensor>();
    Tensor y = detail::custom_gradient_call(
        inputs, [&] { return *result = forward(xs...); },
        [backward, inputs, result](const Tensor& g) {
          return [&]<size_t... I>(std::index_sequence<I...>) {
            return backward(inputs[I]..., *result, g);
          }
          (std::index_sequence_for<decltype(xs)...>{});
        });
    return y;
  };
}

}  // namespace tf
TFJIT_API_END
