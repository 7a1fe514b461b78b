#include "frontend/src/trace.h"
#include "frontend/src/placement.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "frontend/src/tape.h"
#include "frontend/src/tensor_impl.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::detail {

namespace {
thread_local TraceContext* current_trace = nullptr;
// Concrete tensors up to this many elements, and no dim larger, are embedded as graph
// constants (so the compiler can fold them); others are passed to the compiled code as
// arguments. A zero-element constant with a huge dim made MLIR's folders abort the process.
constexpr int64_t kMaxEmbeddedElements = 16;
bool embeddable(const TensorShape& shape) {
  return shape.num_elements() <= kMaxEmbeddedElements &&
         std::ranges::all_of(shape, [](int64_t d) { return d <= kMaxEmbeddedElements; });
}

// Whether any of the scalar bool `flags` is true.
Tensor any_true(const std::vector<Tensor>& flags) {
  Tensor out;
  for (const Tensor& flag : flags) out = out.defined() ? logical_or(out, flag) : flag;
  return out;
}
}  // namespace

TraceContext::TraceContext() : parent_(current_trace) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id++;
  current_trace = this;
}
TraceContext::~TraceContext() { current_trace = parent_; }
TraceContext* TraceContext::current() { return current_trace; }
TraceContext* TraceContext::exchange_current(TraceContext* trace) {
  return std::exchange(current_trace, trace);
}

Tensor TraceContext::symbolic(int value, DType dtype, const TensorShape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->trace = id_;
  impl->symbol = value;
  return Tensor(std::move(impl));
}

Tensor TraceContext::add_argument(DType dtype, const TensorShape& shape) {
  ++num_arguments_;
  return symbolic(builder_.add_argument({dtype, shape}), dtype, shape);
}

int TraceContext::value_of(const Tensor& t) {
  int value = resolve(t);
  // Remember outer tensors used inside open control flow (for gradients through it).
  if (!uses_.empty() && builder_.visible(value)) {
    for (size_t k = static_cast<size_t>(builder_.depth(value)); k < uses_.size(); ++k) {
      auto& uses = uses_[k];
      if (std::none_of(uses.begin(), uses.end(),
                       [&](const Tensor& u) { return u.impl() == t.impl(); }))
        uses.push_back(t);
    }
  }
  return value;
}

int TraceContext::resolve(const Tensor& t) {
  const TensorImpl& impl = *t.impl();
  if (impl.trace == id_) return impl.symbol;
  if (impl.trace && impl.trace != residuals_from_)
    throw InvalidArgumentError(
        "a symbolic tensor from another tf::function trace was used here; tensors created while "
        "tracing cannot escape their function");
  if (auto it = captured_.find(&impl); it != captured_.end()) return it->second;
  int value;
  if (!impl.trace && embeddable(impl.shape)) {
    Tensor host = to_cpu(t);  // a GPU tensor's values are read back once, at trace time
    value = builder_.add_constant({impl.dtype, impl.shape}, raw(host));
    embedded_.push_back(t);
  } else {
    value = builder_.add_argument({impl.dtype, impl.shape});
    captures_.push_back({t, nullptr});
  }
  captured_.emplace(&impl, value);
  return value;
}

Tensor TraceContext::emit(std::string_view op, const std::vector<Tensor>& inputs,
                          std::vector<compiler::NamedAttr> attrs, DType dtype,
                          const TensorShape& shape) {
  std::vector<int> operands;
  for (const Tensor& t : inputs) operands.push_back(value_of(t));
  may_fail_ = may_fail_ || op == "all_reduce";
  const int value = builder_.add_op(op, operands, attrs, {dtype, shape});
  if (op == "unary" || op == "binary" || op == "cast" || op == "select") elementwise_.insert(value);
  return symbolic(value, dtype, shape);
}

Tensor TraceContext::capture_variable(const std::shared_ptr<VariableImpl>& variable) {
  if (auto it = captured_variables_.find(variable.get()); it != captured_variables_.end())
    return it->second;
  Tensor symbol = symbolic(builder_.add_argument({variable->dtype, variable->shape}),
                           variable->dtype, variable->shape);
  captures_.push_back({Tensor(), variable});
  captured_variables_.emplace(variable.get(), symbol);
  variable_arguments_.emplace(variable.get(), symbol);
  return symbol;
}

void TraceContext::override_variable(const std::shared_ptr<VariableImpl>& variable,
                                     const Tensor& value) {
  overridden_.insert(variable.get());
  captured_variables_[variable.get()] = value;
}

void TraceContext::assign_variable(const std::shared_ptr<VariableImpl>& variable,
                                   const Tensor& value) {
  if (builder_.depth() > 0)
    throw UnimplementedError(
        "assign: assigning a tf::Variable inside a tf::cond branch or tf::while_loop body of a "
        "tf::function is not supported yet; return the new value and assign it after");
  if (!overridden(variable.get()) &&
      std::find(assigned_.begin(), assigned_.end(), variable) == assigned_.end())
    assigned_.push_back(variable);
  captured_variables_[variable.get()] = value;
}

void TraceContext::advance_counter(const std::shared_ptr<VariableImpl>& counter, const Tensor& next,
                                   int64_t draws) {
  if (!overridden(counter.get())) draws_[counter.get()] += draws;
  captured_variables_[counter.get()] = next;
}

TraceContext::DrawSites::Site& TraceContext::DrawSites::site(
    const std::shared_ptr<VariableImpl>& counter, const Tensor& base) {
  for (Site& s : sites)
    if (s.counter == counter) return s;
  return sites.emplace_back(Site{counter, base, 0});
}

void TraceContext::commit_draw_sites() {
  DrawSites done = std::exchange(draw_sites_, {});
  for (const auto& s : done.sites)
    if (s.next > 0) advance_counter(s.counter, add(s.base, constant(s.next)), s.next);
}

std::unique_ptr<compiler::Graph> TraceContext::finish(const std::vector<Tensor>& outputs) {
  std::vector<int> values;
  for (const Tensor& t : outputs) {
    if (!t.defined()) {
      std::string why(t.null_reason());
      throw InvalidArgumentError("tf::function: the function returned a null tensor" +
                                 (why.empty() ? "" : " (" + why + ")"));
    }
    values.push_back(value_of(t));
  }
  // After the function's own results: the assigned variables' final values. A variable the
  // graph also reads takes its new value in its own buffer (frontend/src/in_place.h). A call that
  // raises must leave every variable as it was: where the graph checks its input at run time and
  // an elementwise op computes the new value (an optimizer's update), that value becomes the old
  // one if a check failed, a select the update's kernel fuses. Otherwise (after a scatter into a
  // large table the select would be a pass over all of it; or the graph can fail with no flag to
  // show it, may_fail_) the new value goes to a new buffer, installed only if the call succeeds.
  TapesAside aside(/*in_region=*/false);  // the selects belong to no gradient
  Tensor failed;  // whether any check failed: made for the first aliased variable
  std::vector<compiler::Alias> aliases;
  for (const auto& v : assigned_) {
    auto read = std::ranges::find(captures_, v, &Capture::variable);
    Tensor value = captured_variables_.at(v.get());
    const bool checked = !failure_flags_.empty();
    if (!may_fail_ && read != captures_.end() && v->dtype != DType::string &&
        (!checked || elementwise_.contains(value_of(value)))) {
      aliases.push_back({static_cast<int>(num_arguments_ + (read - captures_.begin())),
                         static_cast<int>(values.size())});
      if (checked) {
        if (!failed.defined()) failed = any_true(failure_flags_);
        value = where(failed, variable_arguments_.at(v.get()), value);
      }
    }
    values.push_back(value_of(value));
  }
  return builder_.finish(values, aliases);
}

}  // namespace tf::detail

namespace tf::detail {

Tensor TraceContext::symbolic(int value) {
  compiler::TensorType type = builder_.type(value);
  return symbolic(value, type.dtype, type.shape);
}

std::vector<Tensor> TraceContext::symbolic(const std::vector<int>& values) {
  std::vector<Tensor> out;
  for (int v : values) out.push_back(symbolic(v));
  return out;
}

std::vector<int> TraceContext::values_of(const std::vector<Tensor>& tensors) {
  std::vector<int> out;
  for (const Tensor& t : tensors) out.push_back(value_of(t));
  return out;
}

void TraceContext::emit_effect(std::string_view op, const std::vector<Tensor>& inputs,
                               std::vector<compiler::NamedAttr> attrs) {
  if (op == "fail_if") {
    // A flag inside a cond or a loop is not a value finish() can read.
    if (builder_.depth() == 0 && inputs.size() == 1 && inputs[0].dtype() == DType::bool_ &&
        inputs[0].shape().rank() == 0)
      failure_flags_.push_back(inputs[0]);
    else
      may_fail_ = true;
  }
  builder_.add_effect(op, values_of(inputs), attrs);
}

void TraceContext::begin_if(const Tensor& pred) {
  int p = value_of(pred);
  builder_.begin_if(p);
  uses_.emplace_back();
}

void TraceContext::begin_else(const std::vector<Tensor>& then_results) {
  builder_.begin_else(values_of(then_results));
}

std::vector<Tensor> TraceContext::end_if(const std::vector<Tensor>& else_results,
                                         std::vector<Tensor>* outer_uses) {
  auto results = builder_.end_if(values_of(else_results));
  if (outer_uses) *outer_uses = std::move(uses_.back());
  uses_.pop_back();
  return symbolic(results);
}

std::vector<Tensor> TraceContext::begin_while(const std::vector<Tensor>& inits) {
  auto args = builder_.begin_while(values_of(inits));
  uses_.emplace_back();
  return symbolic(args);
}

std::vector<Tensor> TraceContext::begin_while_body(const Tensor& cond) {
  return symbolic(builder_.begin_while_body(value_of(cond)));
}

std::vector<Tensor> TraceContext::end_while(const std::vector<Tensor>& next,
                                            std::vector<Tensor>* outer_uses) {
  auto results = builder_.end_while(values_of(next));
  if (outer_uses) *outer_uses = std::move(uses_.back());
  uses_.pop_back();
  return symbolic(results);
}

}  // namespace tf::detail
