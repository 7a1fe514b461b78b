// tf::Variable: a named, mutable holder of a tensor with a fixed dtype and shape.
//
//   tf::Variable w(tf::random::normal({3, 2}), "weight");
//   w.assign_sub(lr * grads[0]);   // replaces the value; tensors read earlier never change
//
// A Variable converts to a Tensor (its current value) wherever one is expected; reads are what
// GradientTape watches. Inside a tf::function, reads are captured by reference: each call sees
// the variable's value at that call.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/ops.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf {

namespace detail {
class VariableImpl;
}

class Variable {
 public:
  explicit Variable(const Tensor& initial_value, std::string name = "Variable",
                    bool trainable = true);
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit Variable(T initial_value, std::string name = "Variable", bool trainable = true)
      : Variable(constant(initial_value), std::move(name), trainable) {}

  // The current value. Active tapes record the read; inside a traced function it is a graph
  // input bound to this variable.
  Tensor read_value() const;
  operator Tensor() const { return read_value(); }  // NOLINT: usable wherever a Tensor is

  // Each raises InvalidArgumentError, leaving the value unchanged, if the new value's dtype or
  // shape differs (broadcastable values are broadcast for assign_add/assign_sub).
  Variable& assign(const Tensor& value);
  Variable& assign_add(const Tensor& delta);
  Variable& assign_sub(const Tensor& delta);
  // C++ values as TensorFlow takes Python ones (v.assign({1, 2}), v.assign_add(0.1)), converted
  // to the variable's dtype (InvalidArgumentError where not exactly representable).
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign(T value) {
    return assign(constant(value, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign_add(T delta) {
    return assign_add(constant(delta, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign_sub(T delta) {
    return assign_sub(constant(delta, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign(
      std::initializer_list<T> values) {
    return assign(constant(values, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign_add(
      std::initializer_list<T> deltas) {
    return assign_add(constant(deltas, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign_sub(
      std::initializer_list<T> deltas) {
    return assign_sub(constant(deltas, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign(const std::vector<T>& values) {
    return assign(as_tensor(values));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign_add(
      const std::vector<T>& deltas) {
    return assign_add(as_tensor(deltas));
  }
  template <class T>
  requires std::is_arithmetic_v<T> && HasDType<T> Variable& assign_sub(
      const std::vector<T>& deltas) {
    return assign_sub(as_tensor(deltas));
  }

  const std::string& name() const;
  bool trainable() const;
  DType dtype() const;
  const TensorShape& shape() const;

  const std::shared_ptr<detail::VariableImpl>& impl() const { return impl_; }
  // Another handle of the variable `impl` holds (what a tf::function's captures keep).
  explicit Variable(std::shared_ptr<detail::VariableImpl> impl) : impl_(std::move(impl)) {}

 private:
  template <class T>
  Tensor as_tensor(const std::vector<T>& values) const {
    return constant(values, TensorShape{static_cast<int64_t>(values.size())}, dtype());
  }
  std::shared_ptr<detail::VariableImpl> impl_;
};

// <tf.Variable 'weight:0' shape=(3, 2) dtype=float32, numpy=...>
std::ostream& operator<<(std::ostream& os, const Variable& v);

}  // namespace tf
TFJIT_API_END
