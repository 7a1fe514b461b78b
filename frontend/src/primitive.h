// The one protocol of every primitive's op function (docs/architecture.md): after the op's own
// checks and its shape rule, add its graph op while a tf::function traces, or place its kernel
// (the scope's device, falling back as TensorFlow does), move the inputs there, allocate the
// result and run the kernel. The op function then lets the tape record the gradient.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "compiler/compiler.h"
#include "frontend/src/placement.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "ops/op_info.h"

namespace tf::detail {

// What names a primitive: `name` in errors and placement logs ("cumsum"), `graph_op` its dialect
// op ("scan"), `id` its kernels' key in the registry with the first input's dtype (and `to`, for
// kernels keyed by two dtypes, as cast's are).
struct PrimitiveOp {
  std::string_view name;
  std::string_view graph_op;
  ops::OpId id;
  std::optional<DType> to = std::nullopt;
};

// `attributes()` gives the graph op's attributes, named as its ODS definition names them (the
// caller's typed attribute struct spells each name once); it is called only while tracing, so
// eager calls build none. `launch(kernel, result, inputs moved to the device...)` runs when the
// result has elements.
template <class Kernel, class Attributes, class Launch, class... Inputs>
Tensor run_primitive(const PrimitiveOp& op, Attributes&& attributes, DType dtype,
                     const TensorShape& shape, Launch&& launch, const Tensor& first,
                     const Inputs&... rest) {
  if (auto* trace = TraceContext::current())
    return trace->emit(op.graph_op, {first, rest...}, attributes(), dtype, shape);
  auto [device, kernel] =
      place<Kernel>(op.name, op.id, first.dtype(), op.to.value_or(first.dtype()));
  Tensor out = detail::empty(dtype, shape, device);
  if (out.num_elements() > 0)
    launch(kernel, out, to_device(first, device), to_device(rest, device)...);
  return out;
}

}  // namespace tf::detail
