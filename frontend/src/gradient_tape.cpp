// GradientTape: recording, and reverse accumulation over the recorded entries.
#include "tfjit/gradient_tape.h"

#include <algorithm>
#include <utility>

#include "frontend/src/op_helpers.h"
#include "frontend/src/tape.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf {

namespace detail {

thread_local std::vector<TapeImpl*> active_tapes;
thread_local const std::vector<TapeImpl*>* paused_tapes = nullptr;

namespace {
bool differentiable(DType d) { return is_floating(d) || is_complex(d); }
}  // namespace

bool watched_by_any_tape(std::initializer_list<const Tensor*> inputs) {
  for (TapeImpl* tape : active_tapes)
    if (tape->recording)
      for (const Tensor* t : inputs)
        if (t->defined() && tape->connected.count(t->impl().get())) return true;
  return false;
}

bool watched_by_any_tape(const std::vector<Tensor>& inputs) {
  for (TapeImpl* tape : active_tapes)
    if (tape->recording)
      for (const Tensor& t : inputs)
        if (t.defined() && tape->connected.count(t.impl().get())) return true;
  return false;
}

namespace {
// The inputs whose gradients the running backward function must produce (null: all).
thread_local const std::vector<bool>* needed_inputs = nullptr;
}  // namespace

bool gradient_needed(size_t index) {
  return !needed_inputs || (index < needed_inputs->size() && (*needed_inputs)[index]);
}

void record(const std::vector<Tensor>& inputs, const Tensor& output, BackwardFn backward) {
  if (!output.defined() || !differentiable(output.dtype())) return;
  auto shared = std::make_shared<BackwardFn>(std::move(backward));
  for (TapeImpl* tape : active_tapes) {
    if (!tape->recording) continue;
    bool watched = std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& t) {
      return t.defined() && tape->connected.count(t.impl().get());
    });
    if (!watched) continue;
    tape->entries.push_back({inputs, output, [shared](const Tensor& g) { return (*shared)(g); }});
    tape->connected.insert(output.impl().get());
  }
}

Tensor unbroadcast(const Tensor& grad, const TensorShape& shape) {
  if (!grad.defined() || grad.shape() == shape) return grad;
  std::vector<int64_t> axes;
  int64_t lead = grad.ndim() - shape.rank();
  for (int64_t d = 0; d < grad.ndim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.shape()[d] != 1)) axes.push_back(d);
  Tensor summed = axes.empty() ? grad : reduce_sum(grad, axes, true);
  return reshape(summed, shape.dims());
}

Tensor read_variable(VariableImpl& variable, const Tensor& value) {
  if (paused_tapes && active_tapes.empty())
    for (TapeImpl* tape : *paused_tapes)
      if (tape->recording && differentiable(value.dtype()) && watches(*tape, variable))
        throw UnimplementedError(
            "read_value: a watched tf::Variable read inside a traced tf::cond branch or "
            "tf::while_loop body gets no gradient yet; read it before the cond or loop and use "
            "that tensor inside");
  if (active_tapes.empty()) return value;
  // A fresh handle per read, so each read is a distinct source the tape can watch.
  Tensor read(std::make_shared<TensorImpl>(*value.impl()));
  for (TapeImpl* tape : active_tapes) {
    if (!tape->recording || !differentiable(read.dtype())) continue;
    if (!watches(*tape, variable)) continue;
    tape->connected.insert(read.impl().get());
    tape->kept.push_back(read);
    tape->variable_reads[&variable].push_back(read);
  }
  return read;
}

}  // namespace detail

using detail::TapeImpl;

namespace {
// As TensorFlow, a non-persistent tape lets go of what it recorded once used: its saved reads no
// longer share the variables' buffers, so an update after it can go in place.
void release_records(TapeImpl& tape) {
  tape.entries = {};
  tape.kept = {};
  tape.variable_reads = {};
  tape.connected = {};
}
}  // namespace

GradientTape::GradientTape(bool persistent, bool watch_accessed_variables)
    : impl_(std::make_unique<TapeImpl>()) {
  impl_->persistent = persistent;
  impl_->watch_accessed_variables = watch_accessed_variables;
  detail::active_tapes.push_back(impl_.get());
}

GradientTape::~GradientTape() {
  auto& tapes = detail::active_tapes;
  tapes.erase(std::remove(tapes.begin(), tapes.end(), impl_.get()), tapes.end());
}

void GradientTape::watch(const Tensor& t) {
  detail::checked(t, "GradientTape::watch", "tensor");
  if (!detail::differentiable(t.dtype())) return;  // as TensorFlow: ignored (not differentiable)
  impl_->connected.insert(t.impl().get());
  impl_->kept.push_back(t);
}

void GradientTape::watch(const Variable& v) { impl_->watched_variables.insert(v.impl().get()); }

Tensor GradientTape::gradient(const Tensor& target, const Source& source,
                              UnconnectedGradients unconnected) {
  return gradient(target, std::vector<Source>{source}, unconnected)[0];
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Source>& sources,
                                           UnconnectedGradients unconnected) {
  TapeImpl& tape = *impl_;
  detail::checked(target, "GradientTape::gradient", "target");
  if (tape.used && !tape.persistent)
    throw FailedPreconditionError(
        "GradientTape::gradient can only be called once on a non-persistent tape (use "
        "tf::GradientTape(tf::persistent))");
  tape.used = true;
  bool was_recording = tape.recording;
  tape.recording = false;  // the backward pass is not recorded by this tape (outer tapes record it)
  struct Restore {
    TapeImpl& t;
    bool r;
    ~Restore() { t.recording = t.persistent && r; }
  } restore{tape, was_recording};

  std::unordered_map<const detail::TensorImpl*, Tensor> grads;
  if (detail::differentiable(target.dtype()) && tape.connected.count(target.impl().get()))
    grads[target.impl().get()] = ones_like(target);  // a non-scalar target is summed
  for (auto it = tape.entries.rbegin(); it != tape.entries.rend(); ++it) {
    auto g = grads.find(it->output.impl().get());
    if (g == grads.end()) continue;
    std::vector<bool> needed(it->inputs.size());
    for (size_t i = 0; i < needed.size(); ++i)
      needed[i] = it->inputs[i].defined() && tape.connected.count(it->inputs[i].impl().get());
    struct Needed {  // set for the backward function's duration, restored even if it throws
      const std::vector<bool>* outer;
      ~Needed() { detail::needed_inputs = outer; }
    } scope{std::exchange(detail::needed_inputs, &needed)};
    std::vector<Tensor> input_grads = it->backward(g->second);
    for (size_t i = 0; i < it->inputs.size() && i < input_grads.size(); ++i) {
      const Tensor& in = it->inputs[i];
      if (!input_grads[i].defined() || !tape.connected.count(in.impl().get())) continue;
      auto [slot, fresh] = grads.emplace(in.impl().get(), input_grads[i]);
      if (!fresh) slot->second = add(slot->second, input_grads[i]);
    }
    // Used once: its saved values free as the walk goes on (TensorFlow's peak memory). The
    // tensors keyed in `grads` that it held are never looked up again.
    if (!tape.persistent) *it = detail::TapeEntry{};
  }
  std::vector<Tensor> result;
  for (const Source& s : sources) {
    Tensor g, like;
    std::string name;  // for a None gradient's reason
    if (s.variable()) {
      like = s.variable()->value();
      name = "variable '" + s.variable()->name + "'";
      auto reads = tape.variable_reads.find(s.variable().get());
      if (reads != tape.variable_reads.end())
        for (const Tensor& r : reads->second)
          if (auto it = grads.find(r.impl().get()); it != grads.end())
            g = g.defined() ? add(g, it->second) : it->second;
    } else {
      detail::checked(s.tensor(), "GradientTape::gradient", "source");
      like = s.tensor();
      name = "source " + std::to_string(result.size()) + " (" +
             std::string(dtype_name(like.dtype())) + " " + like.shape().to_string() + ")";
      if (auto it = grads.find(s.tensor().impl().get()); it != grads.end()) g = it->second;
    }
    if (!g.defined() && unconnected == UnconnectedGradients::ZERO) g = zeros_like(like);
    if (!g.defined())  // TensorFlow's None, saying whose and why
      g = Tensor::null_because(
          "the gradient of " + name +
          " is None: the target does not depend on it through differentiable ops (watched and "
          "read on this tape?); pass UnconnectedGradients::ZERO for zeros");
    result.push_back(g);
  }
  if (!tape.persistent) release_records(tape);
  return result;
}

Tensor GradientTape::jacobian(const Tensor& target, const Source& source,
                              UnconnectedGradients unconnected) {
  Tensor like = source.variable() ? source.variable()->value() : source.tensor();
  if (!impl_->persistent && impl_->used)
    throw FailedPreconditionError("GradientTape::jacobian needs an unused or persistent tape");
  const bool connected = impl_->connected.count(target.impl().get()) > 0;
  struct OneGradientPerElement {  // as persistent for the rows; then used up if it was not
    detail::TapeImpl& t;
    bool persistent;
    ~OneGradientPerElement() {
      t.persistent = persistent;
      if (persistent) return;
      t.recording = false;
      release_records(t);
    }
  } scope{*impl_, std::exchange(impl_->persistent, true)};
  std::vector<Tensor> rows;
  Tensor flat = reshape(target, {-1});
  for (int64_t i = 0; i < flat.num_elements(); ++i) {
    Tensor g = gradient(flat(i), source, UnconnectedGradients::ZERO);
    rows.push_back(g);
  }
  std::vector<int64_t> dims = target.shape().dims();
  dims.insert(dims.end(), like.shape().begin(), like.shape().end());
  if (rows.empty()) return zeros(TensorShape(dims), like.dtype());
  Tensor j = reshape(stack(rows, 0), dims);
  if (unconnected == UnconnectedGradients::NONE && !connected)
    return Tensor::null_because(
        "the jacobian is None: the target was not computed from a "
        "watched source on this tape");
  return j;
}

Tensor GradientTape::batch_jacobian(const Tensor& target, const Tensor& source,
                                    UnconnectedGradients unconnected) {
  detail::checked(target, "batch_jacobian", "target");
  detail::checked(source, "batch_jacobian", "source");
  if (target.ndim() < 1 || source.ndim() < 1 || target.shape()[0] != source.shape()[0])
    throw InvalidArgumentError("batch_jacobian: target " + target.shape().to_string() +
                               " and source " + source.shape().to_string() +
                               " need the same leading (batch) dimension");
  // Row b of the result is d target[b] / d source[b]: take the full jacobian's block diagonal.
  const bool connected = impl_->connected.count(target.impl().get()) > 0;
  Tensor full = jacobian(target, source, UnconnectedGradients::ZERO);
  int64_t b = target.shape()[0];
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < b; ++i) {
    Tensor block = full(i);  // target[i]: (t..., b, s...)
    std::vector<Index> idx(static_cast<size_t>(target.ndim() - 1), Index(all));
    idx.push_back(Index(i));
    rows.push_back(detail::index(block, idx));
  }
  Tensor j = stack(rows, 0);
  if (unconnected == UnconnectedGradients::NONE && !connected)
    return Tensor::null_because(
        "the jacobian is None: the target was not computed from a "
        "watched source on this tape");
  return j;
}

GradientTape::StopRecording::StopRecording(GradientTape& tape)
    : tape_(tape), was_recording_(tape.impl_->recording) {
  tape_.impl_->recording = false;
}
GradientTape::StopRecording::~StopRecording() { tape_.impl_->recording = was_recording_; }

namespace detail {
Tensor custom_gradient_call(const std::vector<Tensor>& inputs,
                            const std::function<Tensor()>& forward,
                            std::function<std::vector<Tensor>(const Tensor&)> backward) {
  std::vector<std::pair<TapeImpl*, bool>> paused;
  for (TapeImpl* tape : active_tapes)
    paused.emplace_back(tape, std::exchange(tape->recording, false));
  Tensor y;
  try {
    y = forward();
  } catch (...) {
    for (auto [tape, was] : paused) tape->recording = was;
    throw;
  }
  for (auto [tape, was] : paused) tape->recording = was;
  // A fresh identity for the result, so the tapes see exactly one op.
  checked(y, "custom_gradient", "result");
  Tensor out(std::make_shared<TensorImpl>(*y.impl()));
  // The user's backward must give each input a gradient of its dtype and shape (or none).
  auto checked_backward = [inputs, backward = std::move(backward)](const Tensor& g) {
    std::vector<Tensor> grads = backward(g);
    if (grads.size() != inputs.size())
      throw InvalidArgumentError("custom_gradient: the backward function returned " +
                                 std::to_string(grads.size()) + " gradient(s) for " +
                                 std::to_string(inputs.size()) + " input(s)");
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) continue;
      const Tensor& x = inputs[i];
      if (grads[i].dtype() != x.dtype() || !core::match_shape(x.shape(), grads[i].shape()).empty())
        throw InvalidArgumentError(
            "custom_gradient: gradient " + std::to_string(i) + " has dtype " +
            std::string(dtype_name(grads[i].dtype())) + " and shape " +
            grads[i].shape().to_string() + ", but input " + std::to_string(i) + " has dtype " +
            std::string(dtype_name(x.dtype())) + " and shape " + x.shape().to_string());
    }
    return grads;
  };
  record(inputs, out, std::move(checked_backward));
  return out;
}
}  // namespace detail

Tensor stop_gradient(const Tensor& x) {
  detail::checked(x, "stop_gradient", "x");
  if (!detail::tape_active()) return x;
  return Tensor(std::make_shared<detail::TensorImpl>(*x.impl()));  // a new identity, never recorded
}

}  // namespace tf
