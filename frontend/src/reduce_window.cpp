// The reduce_window primitive (a reduction over sliding windows) and the pooling ops of tf::nn
// built on it. Gradients: a window sum's is a window sum of the gradient spread out by the
// strides (its transpose); a window max's or min's routes each output's gradient to the first
// element of its window that attains it, as TensorFlow's MaxPoolGrad does, written with public
// ops so it differentiates again.
#include <cmath>

#include "frontend/src/data_format.h"
#include "frontend/src/op_helpers.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/primitives/reduce_window.h"
#include "tfjit/creation.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;

namespace {

// tfjit.reduce_window's attributes, named once as ir/families/reduce_window.td names them.
struct Window {
  ops::ReduceOp op;
  core::WindowSpec spec;
  std::string name;  // the public op, for errors
  std::vector<compiler::NamedAttr> graph_attributes() const {
    return {{"fn", std::string(ops::op_info(op).name)},
            {"window", spec.window},
            {"strides", spec.strides},
            {"dilations", spec.dilations},
            {"padding_low", spec.low},
            {"padding_high", spec.high}};
  }
};

Tensor reduce_window(const Window& w, const Tensor& x);

Tensor reduce_window_forward(const Window& w, const Tensor& x, const TensorShape& shape) {
  return run_primitive<rt::ReduceWindowKernel>(
      {w.name, "reduce_window", ops::Primitive::reduce_window},
      [&] { return w.graph_attributes(); }, x.dtype(), shape,
      [&](rt::ReduceWindowKernel kernel, const Tensor& out, const Tensor& in) {
        rt::ReduceWindowPlan plan{x.shape().dims(), shape.dims(), w.spec.window, w.spec.strides,
                                  w.spec.dilations, w.spec.low,   w.op};
        kernel(raw(in), raw_mut(out), plan);
      },
      x);
}

// The transpose of a window sum: output o fed input i where 0 <= i * d + low - o * s < window
// (d: dilation, s: stride). That is a window sum over g dilated by s, padded by window - 1 - low
// in front, with stride d; the end padding makes it x's size (cropped where the forward skipped
// input at the end beyond its padding).
Tensor sum_gradient(const Window& w, const TensorShape& in, const Tensor& g) {
  Window back = w;
  std::vector<int64_t> crop;
  bool cropped = false;
  for (size_t d = 0; d < w.spec.window.size(); ++d) {
    const int64_t n = in[static_cast<int64_t>(d)], out = g.shape()[static_cast<int64_t>(d)];
    const int64_t window = w.spec.window[d], s = w.spec.strides[d], dil = w.spec.dilations[d];
    back.spec.strides[d] = dil;
    back.spec.dilations[d] = s;
    back.spec.low[d] = window - 1 - w.spec.low[d];
    const int64_t high = (n - 1) * dil - (out - 1) * s + w.spec.low[d];
    back.spec.high[d] = std::max<int64_t>(high, 0);
    cropped |= high < 0;
    crop.push_back(n);
  }
  if (g.num_elements() == 0) return zeros(in, g.dtype());
  Tensor grad = reduce_window(back, g);
  if (cropped) grad = slice(grad, std::vector<int64_t>(crop.size(), 0), crop);
  return grad;
}

// Window max / min: each output's gradient goes to the first element of its window (row-major
// window order) equal to it (NaN matching NaN, which max and min propagate). One primitive
// (tfjit.select_and_scatter), which records no gradient of its own: when a tape records this
// gradient (a second order), the composite below, written with differentiable ops.
Tensor extreme_gradient(const Window& w, const Tensor& x, const Tensor& y, const Tensor& g) {
  for (int64_t dil : w.spec.dilations)
    if (dil != 1) throw UnimplementedError(w.name + " gradient: dilated inputs are not supported");
  if (g.shape().is_fully_defined() && g.num_elements() == 0) return zeros_like(x);
  if (!should_record({&x, &y, &g}))
    return run_primitive<rt::SelectAndScatterKernel>(
        {w.name, "select_and_scatter", ops::Primitive::select_and_scatter},
        [&] {
          return std::vector<compiler::NamedAttr>{{"window", w.spec.window},
                                                  {"strides", w.spec.strides},
                                                  {"padding_low", w.spec.low},
                                                  {"padding_high", w.spec.high}};
        },
        x.dtype(), x.shape(),
        [&](rt::SelectAndScatterKernel kernel, const Tensor& out, const Tensor& dx,
            const Tensor& dy, const Tensor& dg) {
          rt::ReduceWindowPlan plan{
              x.shape().dims(), g.shape().dims(), w.spec.window, w.spec.strides,
              w.spec.dilations, w.spec.low,       w.op};
          kernel(raw(dx), raw(dy), raw(dg), raw_mut(out), plan);
        },
        x, y, g);
  if (!x.shape().is_fully_defined())
    throw UnimplementedError(w.name + " gradient: not supported yet inside a tf::function on a " +
                             "tensor with unknown dimensions (shape " + x.shape().to_string() +
                             ")");
  const size_t rank = w.spec.window.size();
  std::vector<std::pair<int64_t, int64_t>> pads;
  std::vector<int64_t> begin, dims = x.shape().dims();
  for (size_t d = 0; d < rank; ++d) {
    pads.emplace_back(w.spec.low[d], w.spec.high[d]);
    begin.push_back(w.spec.low[d]);
  }
  // Padding never wins: a window's elements count only where `inside` holds.
  Tensor padded = pad(x, pads), inside = pad(ones(x.shape(), bool_), pads);
  Tensor taken = zeros(y.shape(), bool_), zero = zeros_like(g);
  Tensor grad = zeros(padded.shape(), g.dtype());
  std::vector<int64_t> k(rank, 0);
  const std::vector<int64_t>& out = y.shape().dims();
  for (bool more = true; more;) {
    Tensor xk = strided_slice(padded, k, out, w.spec.strides);
    Tensor match = equal(xk, y);
    if (is_floating(x.dtype())) match = logical_or(match, logical_and(is_nan(xk), is_nan(y)));
    match = logical_and(match, strided_slice(inside, k, out, w.spec.strides));
    Tensor hit = logical_and(match, logical_not(taken));
    taken = logical_or(taken, hit);
    grad = grad + strided_slice_grad(where(hit, g, zero), padded.shape(), k, out, w.spec.strides);
    more = false;
    for (size_t d = rank; d-- > 0;) {
      if (++k[d] < w.spec.window[d]) {
        more = true;
        break;
      }
      k[d] = 0;
    }
  }
  return slice(grad, begin, dims);
}

Tensor reduce_window(const Window& w, const Tensor& x) {
  checked(x, w.name, "input");
  check_dtype(w.name, x.dtype(), ops::op_info(w.op).dtypes);
  core::ShapeResult r = core::reduce_window_shape(x.shape(), w.spec);
  if (!r.ok()) throw InvalidArgumentError(w.name + ": " + r.error);
  Tensor y = reduce_window_forward(w, x, r.shape);
  if (should_record({&x}))
    record({x}, y, [w, x, y](const Tensor& g) {
      switch (w.op) {
        case ops::ReduceOp::reduce_sum:
          return std::vector<Tensor>{sum_gradient(w, x.shape(), g)};
        case ops::ReduceOp::reduce_max:
        case ops::ReduceOp::reduce_min:
          return std::vector<Tensor>{extreme_gradient(w, x, y, g)};
        default:
          throw UnimplementedError(w.name + ": no gradient for a window " +
                                   ops::op_info(w.op).name);
      }
    });
  return y;
}

// --- Pooling ---------------------------------------------------------------------------------

Window pooling_window(const std::string& op, ops::ReduceOp reduce, const Tensor& input,
                      const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides,
                      std::string_view padding, std::string_view format) {
  checked(input, op, "input");
  const int64_t rank = input.ndim();
  if (rank < 3)
    throw InvalidArgumentError(op + ": the input needs a batch, spatial and channel dimension, " +
                               "got shape " + input.shape().to_string());
  const bool first = channels_first(op, format, rank);
  Window w{reduce, {}, op};
  w.spec.window = per_dim(op, "ksize", ksize, rank, first);
  w.spec.strides =
      per_dim(op, "strides", strides.empty() ? std::vector<int64_t>{1} : strides, rank, first);
  w.spec.dilations.assign(static_cast<size_t>(rank), 1);
  w.spec.low.assign(static_cast<size_t>(rank), 0);
  w.spec.high.assign(static_cast<size_t>(rank), 0);
  if (padding != "VALID" && padding != "SAME")
    throw InvalidArgumentError(op + ": padding must be \"VALID\" or \"SAME\", got \"" +
                               std::string(padding) + "\"");
  // Bounds before any arithmetic: every window element is visited for every output (padding
  // included), so a window past 2^24 elements would run for hours rather than fail.
  int64_t window_elements = 1;
  for (size_t i = 0; i < w.spec.window.size(); ++i) {
    if (w.spec.window[i] < 1 || w.spec.strides[i] < 1 || w.spec.window[i] > (int64_t{1} << 24) ||
        w.spec.strides[i] > (int64_t{1} << 31))
      throw InvalidArgumentError(
          op + ": ksize must be in [1, 2^24] and strides in [1, 2^31], got " +
          std::to_string(w.spec.window[i]) + " and " + std::to_string(w.spec.strides[i]));
    window_elements *= w.spec.window[i];
    if (window_elements > (int64_t{1} << 24))
      throw InvalidArgumentError(op + ": a window of more than 2^24 elements");
  }
  for (int64_t d = 0; d < rank; ++d) {
    const auto i = static_cast<size_t>(d);
    const int64_t n = input.shape()[d];
    if (w.spec.window[i] == 1 && w.spec.strides[i] == 1) continue;
    if (n == kUnknownDim)
      throw UnimplementedError(op + ": pooling over a dimension of unknown size (input shape " +
                               input.shape().to_string() + ")");
    if (padding == "SAME") {
      const int64_t out = (n + w.spec.strides[i] - 1) / w.spec.strides[i];
      const int64_t total =
          std::max<int64_t>((out - 1) * w.spec.strides[i] + w.spec.window[i] - n, 0);
      w.spec.low[i] = total / 2;
      w.spec.high[i] = total - total / 2;
    }
  }
  return w;
}

Tensor max_pooling(const std::string& op, const Tensor& input, const std::vector<int64_t>& ksize,
                   const std::vector<int64_t>& strides, std::string_view padding,
                   std::string_view format) {
  return reduce_window(
      pooling_window(op, ops::ReduceOp::reduce_max, input, ksize, strides, padding, format), input);
}

// The window sum divided by how many of the window's elements lie inside the input: a constant,
// the product over dims of each output position's in-bounds count.
Tensor avg_pooling(const std::string& op, const Tensor& input, const std::vector<int64_t>& ksize,
                   const std::vector<int64_t>& strides, std::string_view padding,
                   std::string_view format) {
  checked(input, op, "input");
  check_dtype(op, input.dtype(), core::kFloat);
  if (input.dtype() == float16 || input.dtype() == bfloat16)  // sums and counts overflow there
    return cast(avg_pooling(op, cast(input, float32), ksize, strides, padding, format),
                input.dtype());
  Window w = pooling_window(op, ops::ReduceOp::reduce_sum, input, ksize, strides, padding, format);
  Tensor sum = reduce_window(w, input);
  Tensor count = ones({}, input.dtype());
  for (int64_t d = 0; d < input.ndim(); ++d) {
    const auto i = static_cast<size_t>(d);
    if (w.spec.low[i] == 0 && w.spec.high[i] == 0) {
      // No padding: every window is full.
      if (w.spec.window[i] > 1) count = count * static_cast<double>(w.spec.window[i]);
      continue;
    }
    std::vector<double> inside;
    const int64_t n = input.shape()[d];
    for (int64_t o = 0; o < sum.shape()[d]; ++o) {
      const int64_t start = o * w.spec.strides[i] - w.spec.low[i];
      inside.push_back(
          static_cast<double>(std::min(start + w.spec.window[i], n) - std::max<int64_t>(start, 0)));
    }
    std::vector<int64_t> shape(static_cast<size_t>(input.ndim()), 1);
    shape[i] = static_cast<int64_t>(inside.size());
    count = count * cast(constant(inside, TensorShape(shape)), input.dtype());
  }
  return sum / count;
}

}  // namespace

namespace nn {

#define TFJIT_POOL(name, kind, rank)                                                  \
  Tensor name(const Tensor& input, const std::vector<int64_t>& ksize,                 \
              const std::vector<int64_t>& strides, std::string_view padding,          \
              std::string_view data_format) {                                         \
    checked(input, #name, "input");                                                   \
    if (rank > 0 && input.ndim() != rank)                                             \
      throw InvalidArgumentError(std::string(#name) +                                 \
                                 ": the input must have rank " #rank ", got shape " + \
                                 input.shape().to_string());                          \
    return kind##_pooling(#name, input, ksize, strides, padding, data_format);        \
  }
TFJIT_POOL(max_pool, max, 0)
TFJIT_POOL(max_pool1d, max, 3)
TFJIT_POOL(max_pool2d, max, 4)
TFJIT_POOL(max_pool3d, max, 5)
TFJIT_POOL(avg_pool, avg, 0)
TFJIT_POOL(avg_pool1d, avg, 3)
TFJIT_POOL(avg_pool2d, avg, 4)
TFJIT_POOL(avg_pool3d, avg, 5)
#undef TFJIT_POOL

Tensor pool(const Tensor& input, const std::vector<int64_t>& window_shape,
            std::string_view pooling_type, const std::vector<int64_t>& strides,
            std::string_view padding, std::string_view data_format) {
  if (pooling_type == "MAX")
    return max_pooling("pool", input, window_shape, strides, padding, data_format);
  if (pooling_type == "AVG")
    return avg_pooling("pool", input, window_shape, strides, padding, data_format);
  throw InvalidArgumentError("pool: pooling_type must be \"MAX\" or \"AVG\", got \"" +
                             std::string(pooling_type) + "\"");
}

Tensor local_response_normalization(const Tensor& input, int64_t depth_radius, double bias,
                                    double alpha, double beta) {
  const std::string op = "local_response_normalization";
  checked(input, op, "input");
  check_dtype(op, input.dtype(), core::kFloat);
  if (input.ndim() != 4)
    throw InvalidArgumentError(op + ": the input must be 4-D (NHWC), got shape " +
                               input.shape().to_string());
  if (depth_radius < 0 || depth_radius > (int64_t{1} << 23))
    throw InvalidArgumentError(op + ": depth_radius must be in [0, 2^23], got " +
                               std::to_string(depth_radius));
  // Sum of squares over the channel window, zero-padded: the window is clipped at the edges.
  Window w{ops::ReduceOp::reduce_sum, {}, op};
  w.spec.window = {1, 1, 1, 2 * depth_radius + 1};
  w.spec.strides = w.spec.dilations = {1, 1, 1, 1};
  w.spec.low = w.spec.high = {0, 0, 0, depth_radius};
  Tensor squares = reduce_window(w, square(input));
  return input * pow(squares * alpha + bias, scalar_like(input, -beta));
}

}  // namespace nn

}  // namespace tf
