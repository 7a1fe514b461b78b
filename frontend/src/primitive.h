// The one protocol of every primitive's op function (docs/architecture.md): after the op's own
// checks and its shape rule, add its graph op while a tf::function traces, or place its kernel
// (the scope's device, falling back as TensorFlow does), move the inputs there, allocate the
// result and run the kernel. The op function then lets the tape record the gradient.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "compiler/compiler.h"
#include "frontend/src/placement.h"
#include "frontend/src/trace.h"
#include "ops/op_info.h"
#include "frontend/src/tensor_internal.h"

namespace tf::detail {

// What names a primitive: `name` in errors and placement logs ("cumsum"), `graph_op` its dialect
// op ("scan"), `id` its kernels' key in the registry.
struct PrimitiveOp {
  std::string_view name;
  std::string_view graph_op;
  ops::OpId id;
};

// `attributes`: the graph op's, named as its ODS definition names them (the caller's typed
// attribute struct spells each name once). `launch(kernel, inputs on the device, result)` runs
// when the result has elements.
template <class Kernel, class Launch>
Tensor run_primitive(const PrimitiveOp& op, const std::vector<Tensor>& inputs,
                     std::vector<compiler::NamedAttr> attributes, DType dtype,
                     const TensorShape& shape, Launch&& launch) {
  if (auto* trace = TraceContext::current())
    return trace->emit(op.graph_op, inputs, std::move(attributes), dtype, shape);
  auto [device, kernel] = place<Kernel>(op.name, op.id, inputs.at(0).dtype());
  std::vector<Tensor> on_device;
  on_device.reserve(inputs.size());
  for (const Tensor& t : inputs) on_device.push_back(to_device(t, device));
  Tensor out = detail::empty(dtype, shape, device);
  if (out.num_elements() > 0) launch(kernel, on_device, out);
  return out;
}

}  // namespace tf::detail
