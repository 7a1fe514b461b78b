#include "frontend/src/forward_backward.h"

#include <algorithm>

#include "compiler/compiler.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_impl.h"
#include "frontend/src/trace.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf::detail {

namespace {

bool differentiable(DType dtype) { return is_floating(dtype); }

// The index of the input (argument or variable value) `t` is, by its symbol, if any: a read of a
// variable under a tape is a fresh handle of the captured symbol.
std::optional<size_t> input_of(const Tensor& t, const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].impl()->trace == t.impl()->trace && inputs[i].impl()->symbol == t.impl()->symbol)
      return i;
  return std::nullopt;
}

}  // namespace

std::vector<bool> needed_inputs(const Concrete& plain, std::span<const Tensor> args) {
  std::vector<bool> needed;
  for (const Tensor& a : args)
    needed.push_back(differentiable(a.dtype()) && watched_by_any_tape({&a}));
  for (size_t k = 0; k < plain.captures.size(); ++k) {
    const auto& variable = plain.captures[k].variable;
    if (!variable || plain.draws[k] > 0) continue;
    needed.push_back(differentiable(variable->dtype) &&
                     std::ranges::any_of(active_tapes, [&](const TapeImpl* tape) {
                       return tape->recording && watches(*tape, *variable);
                     }));
  }
  return needed;
}

std::shared_ptr<const ForwardBackward> trace_forward_backward(
    const Concrete& plain, std::vector<int64_t> key, std::span<const Tensor> args, TraceBody body,
    const std::vector<bool>& needed, const std::function<void(Concrete&)>& compile) {
  auto lock = compiler::lock_compiler();
  TapesAside aside(/*in_region=*/false);  // the callers' tapes record the call, not its trace
  auto fb = std::make_shared<ForwardBackward>();
  fb->num_args = args.size();
  fb->needed = needed;
  fb->forward = std::make_shared<Concrete>();
  fb->backward = std::make_shared<Concrete>();
  fb->forward->key = std::move(key);
  fb->forward->values = plain.values;
  {
    TraceContext forward;
    std::vector<Tensor> inputs, symbolic_args;
    for (const Tensor& a : args) inputs.push_back(forward.add_argument(a.dtype(), a.shape()));
    symbolic_args = inputs;
    GradientTape tape(/*persistent=*/false, /*watch_accessed_variables=*/false);
    std::vector<Source> sources;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (needed[i]) tape.watch(inputs[i]), sources.emplace_back(inputs[i]);
    // The variables the body reads come first among the forward's captures, watched.
    for (size_t k = 0; k < plain.captures.size(); ++k) {
      const auto& variable = plain.captures[k].variable;
      if (!variable || plain.draws[k] > 0) continue;
      inputs.push_back(forward.capture_variable(variable));
      if (!needed[fb->num_args + fb->num_variables++]) continue;
      tape.watch(Variable(variable));
      sources.emplace_back(Variable(variable));
    }
    std::vector<Tensor> results = body.call(body.self, symbolic_args);
    fb->num_results = results.size();
    for (const Tensor& r : results) {
      if (!r.defined()) return nullptr;  // the plain trace raises for it
      fb->result_dtypes.push_back(r.dtype());
      fb->result_shapes.push_back(r.shape());
    }

    std::vector<Tensor> residuals;
    {
      TraceContext backward;
      backward.capture_from(forward);
      // One argument per float result: its gradient. The target sums result * gradient, so the
      // tape gives each input's vector-Jacobian product.
      std::vector<Tensor> upstream;  // all before any capture: arguments come first
      for (const Tensor& r : results)
        if (differentiable(r.dtype()))
          upstream.push_back(backward.add_argument(r.dtype(), r.shape()));
      Tensor target = zeros({}, float64);
      size_t j = 0;
      for (const Tensor& r : results)
        if (differentiable(r.dtype()))
          target = add(target, cast(reduce_sum(multiply(r, upstream[j++])), float64));
      std::vector<Tensor> grads = tape.gradient(target, sources, UnconnectedGradients::NONE);
      fb->connected = needed;
      for (size_t i = 0, k = 0; i < needed.size(); ++i)
        if (needed[i]) fb->connected[i] = grads[k++].defined();
      std::erase_if(grads, [](const Tensor& g) { return !g.defined(); });
      take_trace(*fb->backward, backward, grads);
      for (size_t k = 0; k < fb->backward->captures.size(); ++k) {
        const auto& capture = fb->backward->captures[k];
        if (capture.variable || fb->backward->draws[k] > 0 || !fb->backward->assigned.empty())
          return nullptr;  // the gradient reads a variable or draws: recompute instead
        const Tensor& t = capture.tensor;
        if (!t.impl()->trace) {
          fb->bindings.push_back({ForwardBackward::Binding::From::kTensor, 0, t});
        } else if (auto i = input_of(t, inputs)) {
          fb->bindings.push_back({ForwardBackward::Binding::From::kInput, *i, {}});
        } else {
          fb->bindings.push_back({ForwardBackward::Binding::From::kResidual, residuals.size(), {}});
          residuals.push_back(t);
        }
      }
    }
    std::vector<Tensor> outputs = results;
    outputs.insert(outputs.end(), residuals.begin(), residuals.end());
    take_trace(*fb->forward, forward, outputs);
  }
  // Traced at concrete shapes, C++ code in the body may read other variables or draw otherwise
  // than the plain trace did; the pair (and the recompute's mapping onto the plain trace) needs
  // the same ones.
  auto variables_of = [](const Concrete& c) {
    std::vector<std::pair<const VariableImpl*, int64_t>> v;
    for (size_t k = 0; k < c.captures.size(); ++k)
      if (c.captures[k].variable) v.emplace_back(c.captures[k].variable.get(), c.draws[k]);
    std::ranges::sort(v);
    return v;
  };
  if (variables_of(*fb->forward) != variables_of(plain)) return nullptr;
  compile(*fb->forward);
  compile(*fb->backward);
  return fb;
}

std::vector<Tensor> call_forward_backward(std::shared_ptr<const ForwardBackward> held,
                                          std::span<const Tensor> args,
                                          const RecomputeAt& recompute_at) {
  const ForwardBackward& fb = *held;
  std::vector<Tensor> captured = read_captures(*fb.forward);
  std::vector<Tensor> inputs(args.begin(), args.end());
  for (size_t k = 0; k < fb.num_variables; ++k)
    inputs.push_back(read_variable(*fb.forward->captures[k].variable, captured[k]));
  const bool recorded = should_record(inputs);
  // Kept for a tape opened after the call that records the gradient: the backward graph is not
  // recorded, so that tape would miss the gradient's own gradient.
  std::shared_ptr<const Recompute> recompute;
  if (recorded) recompute = std::make_shared<const Recompute>(recompute_at(captured, inputs));
  std::vector<Tensor> outputs;
  {
    TapesAside aside(/*in_region=*/false);  // the call is recorded whole
    outputs = run(*fb.forward, args, std::move(captured));
  }
  std::vector<Tensor> residuals(outputs.begin() + static_cast<long>(fb.num_results), outputs.end());
  outputs.resize(fb.num_results);
  if (!recorded) return outputs;
  // The backward graph's captures at this call.
  auto bound = std::make_shared<std::vector<Tensor>>();
  for (const auto& binding : fb.bindings) {
    using From = ForwardBackward::Binding::From;
    bound->push_back(binding.from == From::kResidual ? residuals[binding.index]
                     : binding.from == From::kInput  ? inputs[binding.index]
                                                     : binding.tensor);
  }
  for (size_t r = 0; r < outputs.size(); ++r) {
    if (!differentiable(outputs[r].dtype())) continue;
    record(inputs, outputs[r], [held, bound, inputs, recompute, r](const Tensor& g) {
      const ForwardBackward& fb = *held;
      std::vector<Tensor> seen = inputs;
      seen.push_back(g);
      if (should_record(seen)) return (*recompute)(r, g);
      if (std::ranges::none_of(fb.connected, [](bool c) { return c; }))
        return std::vector<Tensor>(inputs.size());  // all None: nothing to run
      std::vector<Tensor> upstream;
      for (size_t j = 0; j < fb.num_results; ++j)
        if (differentiable(fb.result_dtypes[j]))
          upstream.push_back(j == r ? g : zeros(fb.result_shapes[j], fb.result_dtypes[j]));
      std::vector<Tensor> grads = run(*fb.backward, upstream, *bound);
      std::vector<Tensor> out;  // one per input of the recorded op; None for the unconnected
      size_t k = 0;
      for (size_t i = 0; i < inputs.size(); ++i)
        out.push_back(fb.connected[i] ? grads.at(k++) : Tensor());
      return out;
    });
  }
  return outputs;
}

}  // namespace tf::detail
