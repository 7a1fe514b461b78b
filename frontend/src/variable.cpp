// tf::Variable.
#include "tfjit/variable.h"

#include <cstring>
#include <ostream>

#include "frontend/src/distribute/distribute_internal.h"
#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"

namespace tf {

using detail::VariableImpl;

int64_t VariableImpl::fetch_add(int64_t n) {
  std::lock_guard lock(mutex_);
  const auto old = value_.item<int64_t>();
  // Wraps as the compiled counter arithmetic does, without signed overflow.
  value_ = constant(static_cast<int64_t>(static_cast<uint64_t>(old) + static_cast<uint64_t>(n)));
  return old;
}

Tensor VariableImpl::begin_update(bool copy_if_shared) {
  std::unique_lock lock(mutex_);
  updated_.wait(lock, [&] { return !updating_; });
  const auto& impl = value_.impl();
  const auto& buffer = impl->buffer;
  const bool own = impl.use_count() == 1 && buffer.use_count() == 1 && buffer->owned() &&
                   buffer->device().type == rt::DeviceType::kCPU;
  if (!own && !copy_if_shared) return Tensor();
  Tensor target = own ? value_ : detail::empty(dtype, shape);
  if (!own) {  // a user's tensor, a view, wrapped memory or a GPU buffer is never written
    Tensor host = detail::to_cpu(value_);
    std::memcpy(detail::raw_mut(target), detail::raw(host), buffer->bytes());
  }
  updating_ = true;
  updater_ = std::this_thread::get_id();
  return target;
}

void VariableImpl::end_update(const Tensor* value) {
  {
    std::lock_guard lock(mutex_);
    if (value) value_ = *value;
    updating_ = false;
    updater_ = {};
  }
  updated_.notify_all();
}

namespace {
VariableImpl& get(const std::shared_ptr<VariableImpl>& impl) {
  if (!impl) throw InvalidArgumentError("use of a moved-from tf::Variable");
  return *impl;
}
}  // namespace

Variable::Variable(const Tensor& initial_value, std::string name, bool trainable) {
  detail::checked(initial_value, "Variable", "initial_value");
  if (initial_value.is_symbolic())
    throw InvalidArgumentError(
        "Variable '" + name +
        "': the initial value must be a concrete tensor (variables cannot be "
        "created from symbolic tensors inside tf::function)");
  // Inside a distribution strategy's scope every replica starts from replica 0's value.
  impl_ = std::make_shared<VariableImpl>(distribute::detail::mirrored_initial_value(initial_value),
                                         std::move(name), trainable);
}

Tensor Variable::read_value() const {
  VariableImpl& v = get(impl_);
  Tensor value = v.value();
  if (auto* trace = detail::TraceContext::current()) {
    value = trace->capture_variable(impl_);
    // The value a call read, which a gradient's tape watches itself (function.cpp).
    if (trace->overridden(&v)) return value;
  }
  return detail::read_variable(v, value);
}

Variable& Variable::assign(const Tensor& value) {
  VariableImpl& v = get(impl_);
  detail::checked(value, "Variable::assign", "value");
  if (value.dtype() != v.dtype || value.shape() != v.shape)
    throw InvalidArgumentError(
        "Variable::assign: '" + v.name + "' has dtype " + std::string(dtype_name(v.dtype)) +
        " and shape " + v.shape.to_string() + ", the value has dtype " +
        std::string(dtype_name(value.dtype())) + " and shape " + value.shape().to_string());
  if (auto* trace = detail::TraceContext::current())
    trace->assign_variable(impl_, value);
  else
    v.set_value(value);
  return *this;
}

namespace {
// Eagerly, with no tape recording, assign_add and assign_sub write the variable's own buffer
// when nothing else holds it (VariableImpl::begin_update), as TensorFlow's AssignAddVariableOp
// does: one pass, no new buffer. False, having done nothing, where that does not apply.
bool update_in_place(VariableImpl& v, ops::BinaryOp op, const Tensor& delta) {
  if (detail::TraceContext::current() || detail::tape_recording() || !delta.defined() ||
      delta.is_symbolic() || delta.dtype() != v.dtype ||
      delta.impl()->buffer->device().type != rt::DeviceType::kCPU ||
      detail::scoped_device().value_or(detail::default_device()).type != rt::DeviceType::kCPU ||
      v.shape.num_elements() == 0)
    return false;
  auto shape = core::broadcast_shapes(v.shape, delta.shape());
  auto kernel = detail::cpu_kernels().get<rt::BinaryKernel>(op, v.dtype, v.dtype);
  if (!shape.ok() || shape.shape != v.shape || !kernel) return false;
  core::ElementwisePlan plan = core::plan_elementwise(v.shape, v.shape, delta.shape());
  // Shared, a copy then an update in place would move more memory than a new result.
  Tensor target = v.begin_update(/*copy_if_shared=*/false);
  if (!target.defined()) return false;
  try {
    kernel(detail::raw(target), detail::raw(delta), detail::raw_mut(target), plan);
  } catch (...) {
    v.end_update(nullptr);
    throw;
  }
  v.end_update(&target);
  return true;
}
}  // namespace

Variable& Variable::assign_add(const Tensor& delta) {
  if (!update_in_place(get(impl_), ops::BinaryOp::add, delta)) assign(add(read_value(), delta));
  return *this;
}

Variable& Variable::assign_sub(const Tensor& delta) {
  if (!update_in_place(get(impl_), ops::BinaryOp::subtract, delta))
    assign(subtract(read_value(), delta));
  return *this;
}

const std::string& Variable::name() const { return get(impl_).name; }
bool Variable::trainable() const { return get(impl_).trainable; }
DType Variable::dtype() const { return get(impl_).dtype; }
const TensorShape& Variable::shape() const { return get(impl_).shape; }

std::ostream& operator<<(std::ostream& os, const Variable& v) {
  std::string values = to_string(v.impl()->value());
  // Reuse the tensor's value text: between "tf.Tensor(" and ", shape=".
  auto begin = values.find('(') + 1, end = values.rfind(", shape=");
  return os << "<tf.Variable '" << v.name() << ":0' shape=" << v.shape().to_string()
            << " dtype=" << dtype_name(v.dtype()) << ", numpy=" << values.substr(begin, end - begin)
            << ">";
}

}  // namespace tf
