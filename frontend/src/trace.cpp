#include "frontend/src/trace.h"

#include <algorithm>
#include <atomic>

#include "frontend/src/tape.h"
#include "runtime/tensor_impl.h"

namespace tf::detail {

namespace {
thread_local TraceContext* current_trace = nullptr;
// Concrete tensors up to this many elements are embedded as graph constants (so the compiler
// can fold them); larger ones are passed to the compiled code as arguments.
constexpr int64_t kMaxEmbeddedElements = 16;
}  // namespace

TraceContext::TraceContext() : parent_(current_trace) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id++;
  current_trace = this;
}
TraceContext::~TraceContext() { current_trace = parent_; }
TraceContext* TraceContext::current() { return current_trace; }

Tensor TraceContext::symbolic(int value, DType dtype, const TensorShape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->trace = id_;
  impl->symbol = value;
  return Tensor(std::move(impl));
}

Tensor TraceContext::add_argument(DType dtype, const TensorShape& shape) {
  return symbolic(builder_.add_argument({dtype, shape}), dtype, shape);
}

int TraceContext::value_of(const Tensor& t) {
  const TensorImpl& impl = *t.impl();
  if (impl.trace == id_) return impl.symbol;
  if (impl.trace)
    throw InvalidArgumentError(
        "a symbolic tensor from another tf::function trace was used here; tensors created while "
        "tracing cannot escape their function");
  if (auto it = captured_.find(&impl); it != captured_.end()) return it->second;
  int value;
  if (impl.shape.num_elements() <= kMaxEmbeddedElements) {
    value = builder_.add_constant({impl.dtype, impl.shape}, impl.buffer->data());
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
  return symbolic(builder_.add_op(op, operands, attrs, {dtype, shape}), dtype, shape);
}

Tensor TraceContext::capture_variable(const std::shared_ptr<VariableImpl>& variable) {
  if (auto it = captured_variables_.find(variable.get()); it != captured_variables_.end())
    return it->second;
  const Tensor& value = variable->value;
  Tensor symbol =
      symbolic(builder_.add_argument({value.dtype(), value.shape()}), value.dtype(), value.shape());
  captures_.push_back({Tensor(), variable});
  captured_variables_.emplace(variable.get(), symbol);
  return symbol;
}

void TraceContext::assign_variable(const std::shared_ptr<VariableImpl>& variable,
                                   const Tensor& value) {
  if (std::find(assigned_.begin(), assigned_.end(), variable) == assigned_.end())
    assigned_.push_back(variable);
  captured_variables_[variable.get()] = value;
}

std::unique_ptr<compiler::Graph> TraceContext::finish(const std::vector<Tensor>& outputs) {
  std::vector<int> values;
  for (const Tensor& t : outputs) {
    if (!t.defined())
      throw InvalidArgumentError("tf::function: the function returned a null tensor");
    values.push_back(value_of(t));
  }
  // After the function's own results: the assigned variables' final values.
  for (const auto& v : assigned_) values.push_back(value_of(captured_variables_.at(v.get())));
  return builder_.finish(values);
}

}  // namespace tf::detail
