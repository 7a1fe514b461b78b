// The cumulative ops (ops/scan_ops.def: cumsum, cumprod, cummax, cummin, cumulative_logsumexp)
// through the one scan primitive, and their gradients, written with public ops so they trace,
// compile and differentiate again.
#include <limits>

#include "frontend/src/op_helpers.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"
#include "runtime/primitives/scan.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {

// tfjit.scan's attributes, named once as ir/families/scan.td names them.
struct Scan {
  ops::ScanOp op;
  int64_t axis;  // normalised
  bool exclusive, reverse;
  std::vector<compiler::NamedAttr> graph_attributes() const {
    return {{"fn", std::string(ops::op_info(op).name)},
            {"axis", axis},
            {"exclusive", exclusive},
            {"reverse", reverse}};
  }
};

Tensor scan(const Scan& s, const Tensor& x) {
  const char* name = ops::op_info(s.op).name;
  return run_primitive<rt::ScanKernel>(
      {name, "scan", ops::Primitive::scan}, [&] { return s.graph_attributes(); }, x.dtype(),
      x.shape(),
      [&](rt::ScanKernel kernel, const Tensor& out, const Tensor& in) {
        rt::ScanPlan plan{1, x.shape()[s.axis], 1, s.op, s.exclusive, s.reverse};
        for (int64_t d = 0; d < s.axis; ++d) plan.outer *= x.shape()[d];
        for (int64_t d = s.axis + 1; d < x.ndim(); ++d) plan.inner *= x.shape()[d];
        kernel(raw(in), raw_mut(out), plan);
      },
      x);
}

Tensor cumulative(ops::ScanOp op, const Tensor& x, int64_t axis, bool exclusive, bool reverse);
// The gradients' scans record on the tape too, so they differentiate again.
Tensor recorded(const Scan& s, const Tensor& x) {
  return cumulative(s.op, x, s.axis, s.exclusive, s.reverse);
}

// cummax / cummin: g flows to the first element attaining each output's extreme. x_j is a
// strict new extreme (it beats every element before it in the scan's direction); it then feeds
// every later output i (i >= j, or i > j when exclusive) equal to it. Dense over the scanned axis
// (an n x n mask per line, as gather's gradient is dense): memory grows with the square of the
// axis' length, until a segment-sum primitive makes it linear.
Tensor extreme_gradient(const Scan& s, const Tensor& x, const Tensor& g) {
  const int64_t n = x.shape()[s.axis];
  if (n == kUnknownDim)
    throw UnimplementedError(std::string(ops::op_info(s.op).name) +
                             " gradient: the scanned axis must have a known size");
  Scan inclusive = s, before = s;
  inclusive.exclusive = false;
  before.exclusive = true;
  const bool is_max = s.op == ops::ScanOp::cummax;
  Tensor z = scan(inclusive, x), prior = scan(before, x);
  Tensor fresh = is_max ? greater(x, prior) : less(x, prior);
  // Index tensors along the axis: i (outputs) on axis, j (inputs) on axis + 1.
  std::vector<int64_t> i_dims(x.ndim() + 1, 1), j_dims(x.ndim() + 1, 1);
  i_dims[s.axis] = n;
  j_dims[s.axis + 1] = n;
  Tensor i = reshape(range(n, int32), i_dims), j = reshape(range(n, int32), j_dims);
  Tensor after = s.reverse ? (s.exclusive ? less(i, j) : less_equal(i, j))
                           : (s.exclusive ? greater(i, j) : greater_equal(i, j));
  // The outputs' values: the inclusive scan's, shifted to the exclusive window where asked.
  Tensor out = s.exclusive ? prior : z;
  Tensor mask =
      logical_and(logical_and(after, equal(expand_dims(out, s.axis + 1), expand_dims(x, s.axis))),
                  expand_dims(fresh, s.axis));
  return reduce_sum(where(mask, expand_dims(g, s.axis + 1), zeros_like(expand_dims(g, s.axis + 1))),
                    s.axis);
}

std::vector<Tensor> scan_gradient(const Scan& s, const Tensor& x, const Tensor& z,
                                  const Tensor& g) {
  Scan back = s;
  back.reverse = !s.reverse;  // each output's window, seen from the input
  switch (s.op) {
    case ops::ScanOp::cumsum:
      return {recorded(back, g)};
    case ops::ScanOp::cumprod: {  // TensorFlow's rule, 0 where x is 0 (div_no_nan), as there
      Scan sum = back;
      sum.op = ops::ScanOp::cumsum;
      Tensor zero = zeros_like(x);
      return {where(equal(x, zero), zero, recorded(sum, z * g) / x)};
    }
    case ops::ScanOp::cumulative_logsumexp: {
      // TensorFlow's: g split by sign, so the logs exist, and kept in log space.
      Tensor ninf = fill({}, -std::numeric_limits<double>::infinity(), g.dtype());
      Tensor log_pos = where(g > 0.0, log(g), ninf);
      Tensor log_neg = where(g < 0.0, log(-g), ninf);
      return {exp(recorded(back, log_pos - z) + x) - exp(recorded(back, log_neg - z) + x)};
    }
    case ops::ScanOp::cummax:
    case ops::ScanOp::cummin:
      return {extreme_gradient(s, x, g)};
    case ops::ScanOp::kCount:
      break;
  }
  throw UnimplementedError(std::string(ops::op_info(s.op).name) + ": no gradient rule");
}

Tensor cumulative(ops::ScanOp op, const Tensor& x, int64_t axis, bool exclusive, bool reverse) {
  const char* name = ops::op_info(op).name;
  checked(x, name, "x");
  check_dtype(name, x.dtype(), ops::op_info(op).dtypes);
  auto norm = core::normalize_axes({axis}, x.ndim());
  if (!norm.error.empty())
    throw InvalidArgumentError(std::string(name) + ": " + norm.error + " (x has shape " +
                               x.shape().to_string() + ")");
  const Scan s{op, norm.axes[0], exclusive, reverse};
  Tensor z = scan(s, x);
  if (should_record({&x}))
    record({x}, z, [s, x, z](const Tensor& g) { return scan_gradient(s, x, z, g); });
  return z;
}

}  // namespace

#define TFJIT_SCAN(name, ...)                                                \
  Tensor name(const Tensor& x, int64_t axis, bool exclusive, bool reverse) { \
    return cumulative(ops::ScanOp::name, x, axis, exclusive, reverse);       \
  }
#include "ops/scan_ops.def"

}  // namespace tf
