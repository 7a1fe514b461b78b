// A tf::function called under a GradientTape, as TensorFlow records such calls: a forward graph
// that returns, beside the body's results, the intermediates its gradient needs, and a backward
// graph that takes them with the results' gradients. The gradient then does not recompute the
// forward, as function.cpp's CallGradient (the general path) does inside its vector-Jacobian
// product, which a tape opened after the call still gets when it records the gradient.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "frontend/src/concrete.h"
#include "tfjit/function.h"

namespace tf::detail {

struct ForwardBackward {
  std::shared_ptr<Concrete> forward, backward;
  size_t num_args = 0;       // the call's tensors
  size_t num_variables = 0;  // the forward's first captures: variables the gradient flows to
  size_t num_results = 0;    // the body's; the forward returns its residuals after them
  // Per input (args, then those variables' values): whether the backward computes its gradient,
  // and whether that gradient is connected to the results (else it is None, as TensorFlow's).
  std::vector<bool> needed, connected;
  std::vector<DType> result_dtypes;
  std::vector<TensorShape> result_shapes;
  // Per capture of the backward graph, where its value comes from at a call.
  struct Binding {
    enum class From { kResidual, kInput, kTensor } from;
    size_t index = 0;  // kResidual: the forward's result after the body's; kInput: args, variables
    Tensor tensor;     // kTensor: a concrete tensor the gradient uses
  };
  std::vector<Binding> bindings;
};

// Per input of a call of `plain` on `args`: whether a recording tape wants its gradient (a
// float argument it watches, or a float variable it watches reads of).
std::vector<bool> needed_inputs(const Concrete& plain, std::span<const Tensor> args);

// Traces the body of `plain` at the shapes of `args`, whose signature key is `key`,
// as a forward and a backward graph that computes the gradients of the `needed` inputs, compiled
// with `compile`. Null, or an exception, where the body is beyond this path (the caller
// recomputes): random draws or variable reads in the gradient, a gradient needing values inside
// control flow.
std::shared_ptr<const ForwardBackward> trace_forward_backward(
    const Concrete& plain, std::vector<int64_t> key, std::span<const Tensor> args, TraceBody body,
    const std::vector<bool>& needed, const std::function<void(Concrete&)>& compile);

// The general path's gradient of result `r` of one call (it recomputes the body and is itself
// recorded by the tapes, so any order): one gradient per input of the call's record.
using Recompute = std::function<std::vector<Tensor>(size_t r, const Tensor& g)>;
// Makes it for a call from the values the forward's captures had at the call and the record's
// inputs (args, then the first num_variables captures' reads).
using RecomputeAt =
    std::function<Recompute(std::span<const Tensor> captured, std::span<const Tensor> inputs)>;

// Runs the forward on `args` and records each float result on the tapes with the backward as
// its gradient. Returns the body's results. The backward graph is not itself recorded: where a
// tape opened after the call would record the gradient (a higher order without nested tapes),
// the gradient is `recompute_at`'s instead.
std::vector<Tensor> call_forward_backward(std::shared_ptr<const ForwardBackward> fb,
                                          std::span<const Tensor> args,
                                          const RecomputeAt& recompute_at);

}  // namespace tf::detail
