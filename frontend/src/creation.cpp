// Creation ops. Results are concrete tensors even while tracing (their values do not depend on
// symbolic inputs); a traced function captures them like any other concrete tensor. one_hot is
// the exception: it is composed of traceable ops.
#include <cmath>

#include "frontend/src/op_helpers.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {
Tensor from_doubles(const std::vector<double>& v, TensorShape shape, DType dtype) {
  return tf::cast(constant(v, std::move(shape)), dtype);
}

// `n` host values for `op`: a size the machine cannot hold is ResourceExhaustedError naming
// the op, never std::bad_alloc.
std::vector<double> host_values(std::string_view op, int64_t n) {
  try {
    if (!core::checked_bytes(n, sizeof(double))) throw std::bad_alloc();
    return std::vector<double>(static_cast<size_t>(n));
  } catch (const std::bad_alloc&) {
    throw ResourceExhaustedError(std::string(op) + ": cannot hold " + std::to_string(n) +
                                 " values");
  }
}
}  // namespace

namespace {
// While tracing with unknown dims, a filled tensor shaped like x is a broadcast of a scalar
// that takes its sizes from x at the call.
Tensor filled_like(const Tensor& x, const char* op, double value) {
  const auto& impl = checked(x, op, "x");
  if (!impl.shape.is_fully_defined())
    return detail::broadcast_to(fill({}, value, x.dtype()), impl.shape, {x});
  return fill(impl.shape, value, x.dtype());
}
}  // namespace

Tensor zeros_like(const Tensor& x) { return filled_like(x, "zeros_like", 0); }
Tensor ones_like(const Tensor& x) { return filled_like(x, "ones_like", 1); }

Tensor detail::range(double start, double limit, double delta, DType dtype) {
  if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
    throw InvalidArgumentError(
        "range: start, limit and delta must be finite and delta non-zero (got " +
        std::to_string(start) + ", " + std::to_string(limit) + ", " + std::to_string(delta) + ")");
  double count = std::ceil((limit - start) / delta);
  if (count > 1e10)
    throw InvalidArgumentError("range: " + std::to_string(count) + " elements is too many");
  int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  std::vector<double> v = host_values("range", n);
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = start + delta * static_cast<double>(i);
  return from_doubles(v, {n}, dtype);
}

Tensor range(int64_t limit, DType dtype) {
  return detail::range(0.0, static_cast<double>(limit), 1.0, dtype);
}

Tensor linspace(double start, double stop, int64_t num, DType dtype) {
  if (num < 0)
    throw InvalidArgumentError("linspace: num must be non-negative, got " + std::to_string(num));
  if (num > (int64_t{1} << 40))
    throw InvalidArgumentError("linspace: num " + std::to_string(num) + " is too large");
  std::vector<double> v = host_values("linspace", num);
  for (int64_t i = 0; i < num; ++i)
    v[static_cast<size_t>(i)] =
        num == 1 ? start
                 : start + (stop - start) * static_cast<double>(i) / static_cast<double>(num - 1);
  if (num > 1) v.back() = stop;
  return from_doubles(v, {num}, dtype);
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  if (m == -1) m = n;
  if (n < 0 || m < 0)
    throw InvalidArgumentError("eye: sizes must be non-negative, got " + std::to_string(n) + " x " +
                               std::to_string(m));
  if (std::string e = core::validate_shape({n, m}); !e.empty())
    throw InvalidArgumentError("eye: " + e);
  if (!core::checked_bytes(n * m, dtype_size(dtype)))
    throw ResourceExhaustedError("eye: " + std::to_string(n) + " x " + std::to_string(m) +
                                 " elements take more than 2^62 bytes");
  // Row i is the one-hot of i (all zeros past m): no host copy of the n x m values.
  return one_hot(range(n, int64), m, 1, 0, dtype);
}

Tensor one_hot(const Tensor& indices, int64_t depth, double on_value, double off_value,
               DType dtype) {
  checked(indices, "one_hot", "indices");
  check_dtype("one_hot", indices.dtype(), core::DTypeSet{uint8, int8, int16, int32, int64});
  if (depth < 0)
    throw InvalidArgumentError("one_hot: depth must be non-negative, got " + std::to_string(depth));
  Tensor positions = detail::range(0.0, static_cast<double>(depth), 1.0, indices.dtype());
  Tensor hot = equal(expand_dims(indices, -1), positions);  // broadcasts to (..., depth)
  return where(hot, fill({}, on_value, dtype), fill({}, off_value, dtype));
}

}  // namespace tf
