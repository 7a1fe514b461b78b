// Validation helpers shared by the op functions: each raises a typed error naming the op.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "frontend/src/tensor_impl.h"
#include "frontend/src/trace.h"
#include "runtime/kernels.h"
#include "tfjit/tensor.h"

namespace tf::detail {

inline const rt::KernelTable& cpu_kernels() { return rt::kernels(rt::DeviceType::kCPU); }

inline const detail::TensorImpl& checked(const Tensor& t, std::string_view op,
                                         std::string_view arg) {
  if (!t.defined()) {
    std::string why(t.null_reason());
    throw InvalidArgumentError(std::string(op) + ": argument '" + std::string(arg) +
                               "' is a null tensor" + (why.empty() ? "" : ": " + why));
  }
  const auto& impl = *t.impl();
  const TraceContext* trace = TraceContext::current();
  if (!impl.buffer && (!trace || !trace->accepts(impl.trace)))
    throw InvalidArgumentError(
        std::string(op) +
        ": a symbolic tensor from a tf::function trace was used outside that trace");
  return impl;
}

inline void check_dtype(std::string_view op, DType dtype, core::DTypeSet allowed) {
  if (!allowed.contains(dtype))
    throw InvalidArgumentError(std::string(op) + ": dtype " + std::string(dtype_name(dtype)) +
                               " is not supported (supported: " + allowed.to_string() + ")");
}

inline void check_same_dtype(std::string_view op, const Tensor& x, const Tensor& y) {
  if (x.dtype() != y.dtype())
    throw InvalidArgumentError(std::string(op) + ": operands have different dtypes, " +
                               std::string(dtype_name(x.dtype())) + " " + x.shape().to_string() +
                               " and " + std::string(dtype_name(y.dtype())) + " " +
                               y.shape().to_string() +
                               "; tfjit never converts implicitly (use tf::cast)");
}

// Inside a tf::function traced with unknown dims (input_signature, reduce_retracing), an op that
// needs the size of dim `d` while tracing (the axis it splits, pads, reverses, ...) raises
// UnimplementedError naming it, rather than misread -1 as a size. Other unknown dims pass through.
// Uniform in [0, 1), of a float dtype, in `like`'s shape, whose dims may be unknown while tracing
// (random::uniform needs them known then); drawn from the global generator as random::uniform.
Tensor uniform_like(const char* op, const Tensor& like, DType dtype, std::optional<uint64_t> seed);

inline void require_known_dim(std::string_view op, const Tensor& t, int64_t d,
                              std::string_view role = "dimension") {
  if (TraceContext::current() && t.shape()[d] == kUnknownDim)
    throw UnimplementedError(std::string(op) + ": " + std::string(role) + " " + std::to_string(d) +
                             " of " + t.shape().to_string() +
                             " is unknown while tracing, and this op needs its size; give it a "
                             "static size in the input_signature");
}

// Raises InvalidArgumentError (naming `op`) if an integer id (a class label, a target, a
// segment) lies outside [0, n) (below n only, with allow_negative): now when the ids are
// concrete, else by the compiled function once it has run (tfjit.fail_if). In frontend/src/nn.cpp.
void check_class_ids(const std::string& op, const Tensor& ids, int64_t n, std::string_view what,
                     bool allow_negative = false);

// broadcast_to inside a trace, where `shape` may have unknown dims that x lacks (x has 1 there,
// or fewer dims): `like` are tensors of the same expression that have them (the other operands
// of the op broadcasting), so the graph can take their run-time sizes from there.
Tensor broadcast_to(const Tensor& x, const TensorShape& shape, const std::vector<Tensor>& like);

}  // namespace tf::detail
