// The op functions. Each validates its inputs (raising typed errors that name the op), computes
// the result's dtype and shape, then either adds a graph op (while tracing) or runs the kernel
// for (device, dtype) from the registry.
#include <algorithm>
#include <cmath>
#include <optional>

#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "frontend/src/trace.h"
#include "runtime/kernels.h"
#include "tfjit/creation.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf {

using detail::TraceContext;
using namespace detail;  // op_helpers.h

namespace {

// Integer ops whose operand y has a domain TensorFlow enforces on CPU: a divisor is never 0 and
// an exponent never negative. tfjit raises the same, before any work is done, or, for a y known
// only when a compiled function runs, once it has run (tfjit.fail_if).
struct IntegerDomain {
  bool (*outside)(int64_t y);
  const char* what;
};
std::optional<IntegerDomain> integer_domain(ops::BinaryOp op, DType dtype) {
  if (!is_integer(dtype)) return std::nullopt;
  if (op == ops::BinaryOp::floordiv || op == ops::BinaryOp::floormod)
    return IntegerDomain{[](int64_t y) { return y == 0; }, "integer division by zero (divisor"};
  if (op == ops::BinaryOp::pow && core::kSigned.contains(dtype))
    return IntegerDomain{[](int64_t y) { return y < 0; },
                         "integers to negative integer powers are not allowed (exponent"};
  return std::nullopt;
}

void check_integer_domain(ops::BinaryOp op, const IntegerDomain& domain, const Tensor& y) {
  std::string_view name = ops::op_info(op).name;
  const std::string message = std::string(name) + ": " + domain.what + " of dtype " +
                              std::string(dtype_name(y.dtype())) + " and shape " +
                              y.shape().to_string() + " contains " +
                              (op == ops::BinaryOp::pow ? "a negative value)" : "0)");
  if (y.impl()->trace) {
    Tensor zero = zeros({}, y.dtype());
    Tensor bad = op == ops::BinaryOp::pow ? less(y, zero) : equal(y, zero);
    TraceContext::current()->emit_effect("fail_if", {reduce_any(bad)}, {{"message", message}});
    return;
  }
  std::vector<int64_t> values(static_cast<size_t>(y.num_elements()));
  cpu_kernels().get<rt::CastKernel>(ops::Primitive::cast, y.dtype(), int64)(
      to_cpu(y).data(), values.data(), y.num_elements());
  if (std::any_of(values.begin(), values.end(), domain.outside))
    throw InvalidArgumentError(message);
}

Tensor unary_forward(ops::UnaryOp op, const Tensor& x) {
  const auto& info = ops::op_info(op);
  checked(x, info.name, "x");
  check_dtype(info.name, x.dtype(), info.dtypes);
  DType result = info.bool_result ? bool_ : x.dtype();
  return run_primitive<rt::UnaryKernel>(
      {info.name, "unary", op},
      [&] {
        return std::vector<compiler::NamedAttr>{{"fn", std::string(info.name)}};
      },
      result, x.shape(),
      [&](rt::UnaryKernel kernel, const Tensor& out, const Tensor& in) {
        kernel(raw(in), raw_mut(out), x.num_elements());
      },
      x);
}

Tensor binary_forward(ops::BinaryOp op, const Tensor& x, const Tensor& y) {
  const auto& info = ops::op_info(op);
  checked(x, info.name, "x");
  checked(y, info.name, "y");
  check_same_dtype(info.name, x, y);
  check_dtype(info.name, x.dtype(), info.dtypes);
  auto shape = core::broadcast_shapes(x.shape(), y.shape());
  if (!shape.ok()) throw InvalidArgumentError(std::string(info.name) + ": " + shape.error);
  DType result = info.bool_result ? bool_ : x.dtype();
  const auto domain = integer_domain(op, y.dtype());
  if (auto* trace = TraceContext::current()) {
    if (domain) check_integer_domain(op, *domain, y);
    // Primitives see equal shapes: broadcasting is explicit in the graph.
    Tensor bx = x.shape() == shape.shape ? x : detail::broadcast_to(x, shape.shape, {y});
    Tensor by = y.shape() == shape.shape ? y : detail::broadcast_to(y, shape.shape, {x});
    return trace->emit("binary", {bx, by}, {{"fn", std::string(info.name)}}, result, shape.shape);
  }
  auto [device, kernel] = place<rt::BinaryKernel>(info.name, op, x.dtype());
  if (domain) check_integer_domain(op, *domain, y);
  Tensor out = detail::empty(result, shape.shape, device);
  if (out.num_elements() == 0) return out;
  core::ElementwisePlan plan;
  if (x.shape() == y.shape()) {
    plan.dims = {out.num_elements()};
    plan.strides[0] = plan.strides[1] = {1};
  } else {
    plan = core::plan_elementwise(shape.shape, x.shape(), y.shape());
  }
  kernel(raw(to_device(x, device)), raw(to_device(y, device)), raw_mut(out), plan);
  return out;
}

// Gradient rules from the op table: x, y inputs, z result, g the result's gradient.
std::vector<Tensor> unary_grad(ops::UnaryOp op, const Tensor& x, const Tensor& z, const Tensor& g) {
  const Tensor NoGrad;
  switch (op) {
#define TFJIT_UNARY(name, dtypes, result, expr, f, s, u, grad) \
  case ops::UnaryOp::name:                                     \
    return {grad};
#include "ops/elementwise_ops.def"
    default:
      return {NoGrad};
  }
}

std::vector<Tensor> binary_grad(ops::BinaryOp op, const Tensor& x, const Tensor& y, const Tensor& z,
                                const Tensor& g) {
  const Tensor NoGrad;
  switch (op) {
#define TFJIT_BINARY(name, dtypes, result, expr, f, s, u, grad_x, grad_y) \
  case ops::BinaryOp::name:                                               \
    return {grad_x, grad_y};
#include "ops/elementwise_ops.def"
    default:
      return {NoGrad, NoGrad};
  }
}

Tensor unary(ops::UnaryOp op, const Tensor& x) {
  Tensor z = unary_forward(op, x);
  if (should_record({&x}))
    record({x}, z, [op, x, z](const Tensor& g) { return unary_grad(op, x, z, g); });
  return z;
}

Tensor binary(ops::BinaryOp op, const Tensor& x, const Tensor& y) {
  Tensor z = binary_forward(op, x, y);
  if (should_record({&x, &y}))
    record({x, y}, z, [op, x, y, z](const Tensor& g) {
      auto grads = binary_grad(op, x, y, z, g);
      return std::vector<Tensor>{unbroadcast(grads[0], x.shape()),
                                 unbroadcast(grads[1], y.shape())};
    });
  return z;
}

}  // namespace

#define TFJIT_UNARY(name, ...) \
  Tensor name(const Tensor& x) { return unary(ops::UnaryOp::name, x); }
#define TFJIT_BINARY(name, ...) \
  Tensor name(const Tensor& x, const Tensor& y) { return binary(ops::BinaryOp::name, x, y); }
#include "ops/elementwise_ops.def"

Tensor clip_by_value(const Tensor& x, const Tensor& clip_value_min, const Tensor& clip_value_max) {
  return minimum(maximum(x, clip_value_min), clip_value_max);
}

Tensor divide(const Tensor& x, const Tensor& y) {
  checked(x, "divide", "x");
  checked(y, "divide", "y");
  check_same_dtype("divide", x, y);
  if (!is_integer(x.dtype())) return realdiv(x, y);
  DType wide = x.dtype() == int32 || x.dtype() == int64 ? float64 : float32;
  return realdiv(cast(x, wide), cast(y, wide));
}

Tensor scalar_like(const Tensor& x, double value) {
  DType dtype = checked(x, "scalar", "x").dtype;
  if (dtype == string)
    throw InvalidArgumentError("scalar: cannot combine a number with a string tensor");
  try {
    return detail::make_tensor(&value, float64, 1, {}, dtype);
  } catch (const InvalidArgumentError&) {
    throw InvalidArgumentError(
        "scalar operand " + std::to_string(value) + " cannot be converted to the tensor's dtype " +
        std::string(dtype_name(dtype)) + " without loss (as in TensorFlow, use tf::cast)");
  }
}

namespace {
Tensor broadcast_to_forward(const Tensor& x, const TensorShape& shape,
                            const std::vector<Tensor>& like) {
  checked(x, "broadcast_to", "x");
  auto* trace = TraceContext::current();
  if (std::string error = core::validate_shape(shape, trace != nullptr); !error.empty())
    throw InvalidArgumentError("broadcast_to: " + error);
  if (!core::broadcastable_to(x.shape(), shape))
    throw InvalidArgumentError("broadcast_to: cannot broadcast shape " + x.shape().to_string() +
                               " to " + shape.to_string());
  if (x.shape() == shape) return x;
  if (trace) {
    // Each unknown result dim needs an operand with that dim unknown: x, or one of `like`.
    std::vector<Tensor> operands = {x};
    for (int64_t i = 0; i < shape.rank(); ++i) {
      if (shape[i] != kUnknownDim) continue;
      auto has = [&](const Tensor& t) {
        int64_t j = i - (shape.rank() - t.ndim());
        return j >= 0 && t.shape()[j] == kUnknownDim;
      };
      if (has(x)) continue;
      auto source = std::find_if(like.begin(), like.end(), has);
      if (source == like.end())
        throw UnimplementedError("broadcast_to: cannot broadcast shape " + x.shape().to_string() +
                                 " to " + shape.to_string() +
                                 " inside a tf::function: the size of unknown dimension " +
                                 std::to_string(i) + " is not known from any operand");
      if (std::none_of(operands.begin() + 1, operands.end(),
                       [&](const Tensor& t) { return t.impl() == source->impl(); }))
        operands.push_back(*source);
    }
    return trace->emit("broadcast_to", operands, {}, x.dtype(), shape);
  }
  if (x.dtype() == string)
    throw UnimplementedError("broadcast_to: string tensors are not supported yet");
  auto [device, copy] =
      place<rt::StridedCopyKernel>("broadcast_to", ops::Primitive::strided_copy, x.dtype());
  Tensor out = detail::empty(x.dtype(), shape, device);
  if (out.num_elements() == 0) return out;
  // Broadcasting is a binary op's input plan with the output as a dense second operand.
  auto plan = core::plan_elementwise(shape, x.shape(), shape);
  copy(raw(to_device(x, device)), raw_mut(out), dtype_size(x.dtype()), plan);
  return out;
}

Tensor cast_forward(const Tensor& x, DType dtype) {
  checked(x, "cast", "x");
  if ((x.dtype() == string) != (dtype == string))
    throw InvalidArgumentError("cast: cannot cast " + std::string(dtype_name(x.dtype())) + " to " +
                               std::string(dtype_name(dtype)));
  if (x.dtype() == dtype) return x;
  return run_primitive<rt::CastKernel>(
      {"cast", "cast", ops::Primitive::cast, dtype},
      [] { return std::vector<compiler::NamedAttr>{}; }, dtype, x.shape(),
      [&](rt::CastKernel kernel, const Tensor& out, const Tensor& in) {
        kernel(raw(in), raw_mut(out), x.num_elements());
      },
      x);
}
}  // namespace

Tensor identity(const Tensor& x) {
  checked(x, "identity", "x");
  if (TraceContext::current()) return x;
  // Placed like any op: inside tf::device_scope("/CPU:0") this copies a GPU tensor to the host.
  rt::Device device = detail::scoped_device().value_or(detail::default_device());
  if (device.type == rt::DeviceType::kGPU && device.index >= rt::gpu::device_count())
    device = rt::Device{};
  Tensor z = detail::to_device(x, device);
  if (z.impl() == x.impl()) z = Tensor(std::make_shared<detail::TensorImpl>(*x.impl()));
  if (should_record({&x})) record({x}, z, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return z;
}

Tensor broadcast_to(const Tensor& x, const TensorShape& shape) {
  // A user's target shape is concrete in every mode, as TensorFlow's: -1 is not "unknown" here.
  if (std::string error = core::validate_shape(shape); !error.empty())
    throw InvalidArgumentError("broadcast_to: " + error);
  return detail::broadcast_to(x, shape, {});
}

Tensor detail::broadcast_to(const Tensor& x, const TensorShape& shape,
                            const std::vector<Tensor>& like) {
  Tensor z = broadcast_to_forward(x, shape, like);
  if (z.impl() != x.impl() && should_record({&x}))
    record({x}, z, [x](const Tensor& g) { return std::vector<Tensor>{unbroadcast(g, x.shape())}; });
  return z;
}

Tensor cast(const Tensor& x, DType dtype) {
  Tensor z = cast_forward(x, dtype);
  if (z.impl() != x.impl() && should_record({&x}))
    record({x}, z, [x](const Tensor& g) {
      return std::vector<Tensor>{is_floating(x.dtype()) ? cast(g, x.dtype()) : Tensor()};
    });
  return z;
}

namespace {

Tensor reduce_forward(ops::ReduceOp op, const Tensor& x, const Axes& axis, bool keepdims) {
  const auto& info = ops::op_info(op);
  checked(x, info.name, "x");
  check_dtype(info.name, x.dtype(), info.dtypes);
  std::vector<int64_t> axes;
  if (axis.list)
    axes = *axis.list;
  else
    for (int64_t i = 0; i < x.ndim(); ++i) axes.push_back(i);
  auto norm = core::normalize_axes(axes, x.ndim());
  if (!norm.error.empty()) throw InvalidArgumentError(std::string(info.name) + ": " + norm.error);
  // Over no axes a reduction is the identity, traced too (its gradient is then the identity,
  // not the max/prod rules, which are wrong for NaN and 0 there).
  if (norm.axes.empty()) return x;
  TensorShape out_shape = core::reduce_shape(x.shape(), norm.axes, keepdims);
  if (auto* trace = TraceContext::current())
    return trace->emit(
        "reduce", {x},
        {{"fn", std::string(info.name)}, {"axes", norm.axes}, {"keepdims", keepdims}}, x.dtype(),
        out_shape);
  auto [device, kernel] = place<rt::ReduceKernel>(info.name, op, x.dtype());
  Tensor current = to_device(x, device);
  if (x.num_elements() == 0) {  // every result is the identity: one pass, no intermediates
    Tensor out = detail::empty(x.dtype(), out_shape, device);
    if (out.num_elements() > 0) kernel(raw(current), raw_mut(out), {out.num_elements(), 0, 1});
    return out;
  }
  // Reduce one run of adjacent axes at a time, last run first, so earlier axes keep their place.
  std::vector<int64_t> dims = x.shape().dims();
  for (size_t end = norm.axes.size(); end > 0;) {
    size_t begin = end - 1;
    while (begin > 0 && norm.axes[begin - 1] + 1 == norm.axes[begin]) --begin;
    int64_t first = norm.axes[begin], last = norm.axes[end - 1];
    rt::ReducePlan plan{1, 1, 1};
    for (int64_t i = 0; i < first; ++i) plan.outer *= dims[i];
    for (int64_t i = first; i <= last; ++i) plan.reduced *= dims[i];
    for (int64_t i = last + 1; i < static_cast<int64_t>(dims.size()); ++i) plan.inner *= dims[i];
    dims.erase(dims.begin() + first, dims.begin() + last + 1);
    Tensor next = detail::empty(x.dtype(), TensorShape(dims), device);
    kernel(raw(current), raw_mut(next), plan);
    current = next;
    end = begin;
  }
  current.impl()->shape = out_shape;  // same elements, keepdims or not
  return current;
}

// The number of elements a reduction over `axis` combines, as a scalar of `dtype` (or, when a
// reduced dim is unknown until the call, a tensor shaped like the reduction's result, counted
// by the graph itself).
Tensor reduced_count(const Tensor& x, const Axes& axis, DType dtype, bool keepdims) {
  if (!x.shape().is_fully_defined() && TraceContext::current()) {
    return reduce_sum(detail::broadcast_to(fill({}, 1.0, dtype), x.shape(), {x}), axis, keepdims);
  }
  double n = 1;
  auto norm = core::normalize_axes(axis.list ? *axis.list : std::vector<int64_t>{}, x.ndim());
  if (!axis.list)
    n = static_cast<double>(x.num_elements());
  else
    for (int64_t a : norm.axes) n *= static_cast<double>(x.shape()[a]);
  return detail::make_tensor(&n, float64, 1, {}, dtype);
}

// Gradients of the reductions: g broadcast back over the reduced axes; max/min split it among
// the elements equal to the result; prod uses z / x (exact for non-zero inputs).
Tensor reduce(ops::ReduceOp op, const Tensor& x, const Axes& axis, bool keepdims) {
  Tensor z = reduce_forward(op, x, axis, keepdims);
  if (z.impl() == x.impl() || !should_record({&x})) return z;
  std::vector<int64_t> axes;
  if (axis.list)
    axes = core::normalize_axes(*axis.list, x.ndim()).axes;
  else
    for (int64_t i = 0; i < x.ndim(); ++i) axes.push_back(i);
  std::vector<int64_t> kept = core::reduce_shape(x.shape(), axes, true).dims();
  if (should_record({&x}))
    record({x}, z, [op, x, z, kept](const Tensor& g) {
      Tensor gb = detail::broadcast_to(reshape(g, kept), x.shape(), {x}), zb = reshape(z, kept);
      switch (op) {
        case ops::ReduceOp::reduce_sum:
          return std::vector<Tensor>{gb};
        case ops::ReduceOp::reduce_prod:
          return std::vector<Tensor>{gb * (zb / x)};
        case ops::ReduceOp::reduce_max:
        case ops::ReduceOp::reduce_min: {
          Tensor hit = cast(equal(x, zb), x.dtype());
          std::vector<int64_t> reduced;
          for (size_t d = 0; d < kept.size(); ++d)
            if (kept[d] == 1 && x.shape()[static_cast<int64_t>(d)] != 1)
              reduced.push_back(static_cast<int64_t>(d));
          Tensor count = reduced.empty() ? ones_like(hit) : reduce_sum(hit, reduced, true);
          return std::vector<Tensor>{gb * hit / count};
        }
        default:
          return std::vector<Tensor>{Tensor()};
      }
    });
  return z;
}

}  // namespace

#define TFJIT_REDUCTION(name, ...)                         \
  Tensor name(const Tensor& x, Axes axis, bool keepdims) { \
    return reduce(ops::ReduceOp::name, x, axis, keepdims); \
  }
#include "ops/reduction_ops.def"

namespace {
Tensor arg_reduce(const char* op, const Tensor& x, int64_t axis, bool is_max) {
  checked(x, op, "x");  // an unknown axis that is empty at a call fails there (its shape rule)
  check_dtype(op, x.dtype(), core::kNumeric);
  auto norm = core::normalize_axes({axis}, x.ndim());
  if (!norm.error.empty()) throw InvalidArgumentError(std::string(op) + ": " + norm.error);
  int64_t a = norm.axes[0];
  if (x.shape()[a] == 0)
    throw InvalidArgumentError(std::string(op) + ": axis " + std::to_string(a) + " of shape " +
                               x.shape().to_string() + " is empty");
  TensorShape shape = core::reduce_shape(x.shape(), {a}, false);
  return run_primitive<rt::ArgReduceKernel>(
      {op, "arg_reduce", ops::Primitive::arg_reduce},
      [&] {
        return std::vector<compiler::NamedAttr>{{"fn", std::string(op)}, {"axis", a}};
      },
      int64, shape,
      [&](rt::ArgReduceKernel kernel, const Tensor& out, const Tensor& in) {
        rt::ReducePlan plan{1, x.shape()[a], 1};
        for (int64_t d = 0; d < a; ++d) plan.outer *= x.shape()[d];
        for (int64_t d = a + 1; d < x.ndim(); ++d) plan.inner *= x.shape()[d];
        kernel(raw(in), static_cast<int64_t*>(raw_mut(out)), plan, is_max);
      },
      x);
}
}  // namespace

Tensor argmax(const Tensor& x, int64_t axis) { return arg_reduce("argmax", x, axis, true); }
Tensor argmin(const Tensor& x, int64_t axis) { return arg_reduce("argmin", x, axis, false); }

Tensor reduce_mean(const Tensor& x, Axes axis, bool keepdims) {
  checked(x, "reduce_mean", "x");
  check_dtype("reduce_mean", x.dtype(), core::kNumeric);
  if (is_integer(x.dtype())) {  // exact in float64, then truncated toward zero by the cast
    Tensor sum = reduce_sum(cast(x, float64), axis, keepdims);
    return cast(realdiv(sum, reduced_count(x, axis, float64, keepdims)), x.dtype());
  }
  Tensor sum = reduce_sum(x, axis, keepdims);
  return realdiv(sum, reduced_count(x, axis, x.dtype(), keepdims));
}

Tensor reduce_logsumexp(const Tensor& x, Axes axis, bool keepdims) {
  checked(x, "reduce_logsumexp", "x");
  check_dtype("reduce_logsumexp", x.dtype(), core::kFloat);
  // Shift by the maximum (0 where it is not finite) so exp cannot overflow. Any shift gives the
  // same value, so no gradient flows through it (as TensorFlow: a stop_gradient).
  Tensor m = reduce_max(x, axis, true);
  m = stop_gradient(where(is_finite(m), m, zeros({}, x.dtype())));
  Tensor r = log(reduce_sum(exp(x - m), axis, true)) + m;
  return keepdims ? r : reduce_sum(r, axis, false);  // drops the kept unit axes
}

Tensor softmax(const Tensor& logits, int64_t axis) {
  checked(logits, "softmax", "logits");
  check_dtype("softmax", logits.dtype(), core::kFloat);
  // The shift by the row maximum changes no value, so it takes no gradient (no max mask).
  Tensor e = exp(logits - stop_gradient(reduce_max(logits, axis, true)));
  return e / reduce_sum(e, axis, true);
}

Tensor log_softmax(const Tensor& logits, int64_t axis) {
  checked(logits, "log_softmax", "logits");
  check_dtype("log_softmax", logits.dtype(), core::kFloat);
  Tensor shifted = logits - stop_gradient(reduce_max(logits, axis, true));  // as in softmax
  return shifted - log(reduce_sum(exp(shifted), axis, true));
}

namespace {
Tensor where_forward(const Tensor& cond, const Tensor& x, const Tensor& y) {
  checked(cond, "where", "cond");
  checked(x, "where", "x");
  checked(y, "where", "y");
  check_same_dtype("where", x, y);
  if (cond.dtype() != bool_)
    throw InvalidArgumentError("where: cond must be a bool tensor, got " +
                               std::string(dtype_name(cond.dtype())));
  auto xy = core::broadcast_shapes(x.shape(), y.shape());
  if (!xy.ok()) throw InvalidArgumentError("where: " + xy.error);
  auto shape = core::broadcast_shapes(cond.shape(), xy.shape);
  if (!shape.ok()) throw InvalidArgumentError("where: " + shape.error);
  Tensor c = detail::broadcast_to(cond, shape.shape, {x, y}),
         bx = detail::broadcast_to(x, shape.shape, {cond, y}),
         by = detail::broadcast_to(y, shape.shape, {cond, x});
  if (auto* trace = TraceContext::current())
    return trace->emit("select", {c, bx, by}, {}, x.dtype(), shape.shape);
  if (x.dtype() == string) throw UnimplementedError("where: string tensors are not supported yet");
  auto [device, select] = place<rt::SelectKernel>("where", ops::Primitive::select, x.dtype());
  Tensor out = detail::empty(x.dtype(), shape.shape, device);
  select(static_cast<const bool*>(raw(to_device(c, device))), raw(to_device(bx, device)),
         raw(to_device(by, device)), raw_mut(out), dtype_size(x.dtype()), out.num_elements());
  return out;
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y) {
  Tensor z = where_forward(cond, x, y);
  if (should_record({&cond, &x, &y}))
    record({cond, x, y}, z, [cond, x, y](const Tensor& g) {
      Tensor zero = zeros_like(g);
      return std::vector<Tensor>{Tensor(), unbroadcast(where(cond, g, zero), x.shape()),
                                 unbroadcast(where(cond, zero, g), y.shape())};
    });
  return z;
}

}  // namespace tf
