// A tf::function called under a GradientTape, as TensorFlow records such calls: a forward graph
// that returns, beside the body's results, the intermediates its gradient needs, and a backward
// graph that takes them with the results' gradients. The gradient then never recomputes the
// forward (function.cpp's CallGradient, the general path, re-traces the body inside its
// vector-Jacobian product).
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
  // Per input (args, then those variables' values): whether the backward computes its gradient.
  std::vector<bool> needed;
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

// Traces the body of `plain` (a static signature on the CPU) as a forward and a backward graph
// that computes the gradients of the `needed` inputs, compiled with `compile`. Null, or an
// exception, where the body is beyond this path (the caller recomputes): random draws or
// variable reads in the gradient, a gradient needing values inside control flow.
std::shared_ptr<const ForwardBackward> trace_forward_backward(
    const Concrete& plain, std::span<const Tensor> args, TraceBody body,
    const std::vector<bool>& needed, const std::function<void(Concrete&)>& compile);

// Runs the forward on `args` and records each float result on the tapes with the backward as
// its gradient. Returns the body's results. The backward is not itself recorded: a tape opened
// after the call that would record it gets UnimplementedError (nest the tapes instead).
std::vector<Tensor> call_forward_backward(std::shared_ptr<const ForwardBackward> fb,
                                          std::span<const Tensor> args);

}  // namespace tf::detail
