// Tracing: while a tf::function body runs on symbolic tensors, every op call lands here and
// becomes a graph op instead of running a kernel. One TraceContext per trace, stacked per thread.
#pragma once

#include <initializer_list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "compiler/compiler.h"
#include "tfjit/tensor.h"

namespace tf::detail {

struct VariableImpl;

class TraceContext {
 public:
  TraceContext();  // becomes the current trace of this thread
  ~TraceContext();
  TraceContext(const TraceContext&) = delete;
  TraceContext& operator=(const TraceContext&) = delete;

  static TraceContext* current();
  // Unique per trace, never reused, so a tensor that escaped an old trace is always recognised.
  uint64_t id() const { return id_; }

  Tensor add_argument(DType dtype, const TensorShape& shape);
  // Adds `op` with `inputs` (symbolic tensors of this trace, or concrete tensors, which are
  // captured) and returns its symbolic result.
  Tensor emit(std::string_view op, const std::vector<Tensor>& inputs,
              std::vector<compiler::NamedAttr> attrs, DType dtype, const TensorShape& shape);
  // A read of `variable`: a graph argument bound to the variable's value at each call, or the
  // value last assigned to it earlier in this trace.
  Tensor capture_variable(const std::shared_ptr<VariableImpl>& variable);
  // An assignment: later reads in the trace see `value`; the graph returns the final value of
  // each assigned variable after the function's own results, and the call stores it.
  void assign_variable(const std::shared_ptr<VariableImpl>& variable, const Tensor& value);
  const std::vector<std::shared_ptr<VariableImpl>>& assigned() const { return assigned_; }
  std::unique_ptr<compiler::Graph> finish(const std::vector<Tensor>& outputs);
  // What the graph reads as extra arguments, after the declared ones, in argument order: a
  // concrete tensor, or a variable (its current value is passed at each call).
  struct Capture {
    Tensor tensor;
    std::shared_ptr<VariableImpl> variable;
  };
  const std::vector<Capture>& captures() const { return captures_; }

 private:
  int value_of(const Tensor& t);
  Tensor symbolic(int value, DType dtype, const TensorShape& shape);

  compiler::GraphBuilder builder_;
  std::vector<Capture> captures_;
  std::unordered_map<const VariableImpl*, Tensor>
      captured_variables_;  // current value in the trace
  std::vector<std::shared_ptr<VariableImpl>> assigned_;
  std::vector<int> capture_values_;
  // Concrete tensor -> graph value. The tensors are kept alive so no address is reused.
  std::unordered_map<const TensorImpl*, int> captured_;
  std::vector<Tensor> embedded_;
  TraceContext* parent_;
  uint64_t id_;
};

}  // namespace tf::detail
