// tf::Variable: a named, mutable holder of a tensor with a fixed dtype and shape.
//
//   tf::Variable w(tf::random::normal({3, 2}), "weight");
//   w.assign_sub(lr * grads[0]);   // replaces the value; tensors read earlier never change
//
// A Variable converts to a Tensor (its current value) wherever one is expected; reads are what
// GradientTape watches. Inside a tf::function, reads are captured by reference: each call sees
// the variable's value at that call.
#pragma once

#include <memory>
#include <string>

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

  const std::string& name() const;
  bool trainable() const;
  DType dtype() const;
  const TensorShape& shape() const;

  const std::shared_ptr<detail::VariableImpl>& impl() const { return impl_; }

 private:
  std::shared_ptr<detail::VariableImpl> impl_;
};

// <tf.Variable 'weight:0' shape=(3, 2) dtype=float32, numpy=...>
std::ostream& operator<<(std::ostream& os, const Variable& v);

}  // namespace tf
TFJIT_API_END
