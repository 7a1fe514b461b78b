// The convolution primitive (tfjit.conv and its two gradients, ir/families/conv.td) and tf.nn's
// convolutions built on it. The primitive works in one layout, channels last with HWIO filters
// (core::ConvSpec); channels-first inputs are transposed around it. Each of the three ops'
// gradients is made of the other two, so convolutions differentiate to any order.
#include <algorithm>

#include "frontend/src/data_format.h"
#include "frontend/src/op_helpers.h"
#include "frontend/src/primitive.h"
#include "frontend/src/tape.h"
#include "frontend/src/tensor_internal.h"
#include "runtime/primitives/conv.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf {

using namespace detail;
using nn::Padding;

namespace {

// The primitive's attributes, named once as ir/families/conv.td names them.
struct Conv {
  core::ConvSpec spec;
  std::string name;  // the public op, for errors
  std::vector<compiler::NamedAttr> graph_attributes() const {
    return {{"strides", spec.strides},
            {"dilations", spec.dilations},
            {"padding_low", spec.low},
            {"padding_high", spec.high},
            {"groups", spec.groups}};
  }
};

Tensor conv(const Conv& c, const Tensor& x, const Tensor& w);
Tensor conv_backprop_input(const Conv& c, const Tensor& w, const Tensor& dy,
                           const TensorShape& input);
Tensor conv_backprop_filter(const Conv& c, const Tensor& x, const Tensor& dy,
                            const TensorShape& filter);

void check_operands(const Conv& c, const Tensor& a, const char* a_name, const Tensor& b,
                    const char* b_name) {
  checked(a, c.name, a_name);
  checked(b, c.name, b_name);
  check_dtype(c.name, a.dtype(), core::kFloat);
  check_same_dtype(c.name, a, b);
}

core::ShapeResult checked_shape(const Conv& c, core::ShapeResult r) {
  if (!r.ok()) throw InvalidArgumentError(c.name + ": " + r.error);
  return r;
}

// Runs one of the three kinds: the graph op while tracing, else the kernel.
Tensor run_conv(const Conv& c, rt::ConvKind kind, const Tensor& a, const Tensor& b,
                const TensorShape& input, const TensorShape& filter, const TensorShape& output,
                const TensorShape& result) {
  static constexpr std::string_view kGraphOps[] = {"conv", "conv_backprop_input",
                                                   "conv_backprop_filter"};
  auto attributes = [&] {
    std::vector<compiler::NamedAttr> attrs = c.graph_attributes();
    if (kind == rt::ConvKind::kBackpropInput) attrs.push_back({"input_shape", input.dims()});
    if (kind == rt::ConvKind::kBackpropFilter) attrs.push_back({"filter_shape", filter.dims()});
    return attrs;
  };
  return run_primitive<rt::ConvKernel>(
      {c.name, kGraphOps[static_cast<int>(kind)], ops::Primitive::conv}, attributes, a.dtype(),
      result,
      [&](rt::ConvKernel kernel, const Tensor& out, const Tensor& da, const Tensor& db) {
        rt::ConvPlan plan{kind,           input.dims(),
                          filter.dims(),  output.dims(),
                          c.spec.strides, c.spec.dilations,
                          c.spec.low,     c.spec.high,
                          c.spec.groups,  {}};
        kernel(raw(da), raw(db), raw_mut(out), plan);
      },
      a, b);
}

Tensor conv(const Conv& c, const Tensor& x, const Tensor& w) {
  check_operands(c, x, "input", w, "filters");
  TensorShape y_shape = checked_shape(c, core::conv_shape(x.shape(), w.shape(), c.spec)).shape;
  Tensor y = run_conv(c, rt::ConvKind::kForward, x, w, x.shape(), w.shape(), y_shape, y_shape);
  if (should_record({&x, &w}))
    record({x, w}, y, [c, x, w](const Tensor& g) {
      return std::vector<Tensor>{
          gradient_needed(0) ? conv_backprop_input(c, w, g, x.shape()) : Tensor(),
          gradient_needed(1) ? conv_backprop_filter(c, x, g, w.shape()) : Tensor()};
    });
  return y;
}

Tensor conv_backprop_input(const Conv& c, const Tensor& w, const Tensor& dy,
                           const TensorShape& input) {
  check_operands(c, w, "filters", dy, "output gradient");
  TensorShape x_shape =
      checked_shape(c, core::conv_backprop_input_shape(w.shape(), dy.shape(), input, c.spec)).shape;
  // The graph op keeps an unknown batch as -1 (the output gradient's at each call).
  TensorShape attr = input;
  if (TraceContext::current() && dy.shape()[0] == kUnknownDim) {
    std::vector<int64_t> dims = input.dims();
    dims[0] = kUnknownDim;
    attr = TensorShape(dims);
  }
  Tensor dx =
      run_conv(c, rt::ConvKind::kBackpropInput, w, dy, attr, w.shape(), dy.shape(), x_shape);
  if (should_record({&w, &dy}))
    record({w, dy}, dx, [c, w, dy](const Tensor& g) {
      return std::vector<Tensor>{
          gradient_needed(0) ? conv_backprop_filter(c, g, dy, w.shape()) : Tensor(),
          gradient_needed(1) ? conv(c, g, w) : Tensor()};
    });
  return dx;
}

Tensor conv_backprop_filter(const Conv& c, const Tensor& x, const Tensor& dy,
                            const TensorShape& filter) {
  check_operands(c, x, "input", dy, "output gradient");
  TensorShape w_shape =
      checked_shape(c, core::conv_backprop_filter_shape(x.shape(), dy.shape(), filter, c.spec))
          .shape;
  Tensor dw =
      run_conv(c, rt::ConvKind::kBackpropFilter, x, dy, x.shape(), filter, dy.shape(), w_shape);
  if (should_record({&x, &dy}))
    record({x, dy}, dw, [c, x, dy](const Tensor& g) {
      return std::vector<Tensor>{
          gradient_needed(0) ? conv_backprop_input(c, g, dy, x.shape()) : Tensor(),
          gradient_needed(1) ? conv(c, x, g) : Tensor()};
    });
  return dw;
}

// --- tf.nn's convolutions ------------------------------------------------------------------

// The permutations between channels first and last for a rank-r tensor.
std::vector<int64_t> to_channels_last(int64_t rank) {
  std::vector<int64_t> p = {0};
  for (int64_t d = 2; d < rank; ++d) p.push_back(d);
  p.push_back(1);
  return p;
}
std::vector<int64_t> to_channels_first(int64_t rank) {
  std::vector<int64_t> p = {0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d) p.push_back(d);
  return p;
}

// The spatial (before, after) paddings: explicit ones, or SAME's for input `in` (channels last).
void set_padding(Conv& c, const Padding& padding, const TensorShape& in,
                 const std::vector<int64_t>& kernel, bool first) {
  const auto spatial = static_cast<size_t>(in.rank() - 2);
  c.spec.low.assign(spatial, 0);
  c.spec.high.assign(spatial, 0);
  if (padding.is_explicit()) {
    const auto& pairs = padding.pairs();
    const auto rank = static_cast<size_t>(in.rank());
    if (pairs.size() != spatial && pairs.size() != rank)
      throw InvalidArgumentError(c.name + ": explicit padding needs " + std::to_string(spatial) +
                                 " or " + std::to_string(rank) + " (before, after) pairs, got " +
                                 std::to_string(pairs.size()));
    const size_t offset = pairs.size() == spatial ? 0 : (first ? 2 : 1);
    for (size_t d = 0; d < pairs.size(); ++d) {
      const bool is_spatial = d >= offset && d < offset + spatial;
      if (!is_spatial && (pairs[d].first != 0 || pairs[d].second != 0))
        throw InvalidArgumentError(c.name +
                                   ": explicit padding of the batch and channel "
                                   "dimensions must be (0, 0)");
      if (is_spatial) {
        c.spec.low[d - offset] = pairs[d].first;
        c.spec.high[d - offset] = pairs[d].second;
      }
    }
    return;
  }
  if (padding.name() == "VALID") return;
  if (padding.name() != "SAME")
    throw InvalidArgumentError(c.name + ": padding must be \"VALID\", \"SAME\" or explicit " +
                               "pairs, got \"" + padding.name() + "\"");
  for (size_t d = 0; d < spatial; ++d) {
    const int64_t n = in[static_cast<int64_t>(d) + 1], s = c.spec.strides[d];
    if (n == kUnknownDim)
      throw UnimplementedError(c.name + ": SAME padding of a spatial dimension of unknown size " +
                               "(input shape " + in.to_string() + ")");
    constexpr int64_t kLimit = int64_t{1} << 40;  // past it, the shape rule reports the values
    if (s < 1 || c.spec.dilations[d] < 1 || kernel[d] < 1 || s > kLimit ||
        c.spec.dilations[d] > kLimit || kernel[d] > kLimit || n > kLimit)
      return;
    const int64_t reach = (kernel[d] - 1) * c.spec.dilations[d] + 1;
    const int64_t out = n / s + (n % s != 0);
    const int64_t total = std::max<int64_t>((out - 1) * s + reach - n, 0);
    c.spec.low[d] = total / 2;
    c.spec.high[d] = total - total / 2;
  }
}

// What every tf.nn convolution starts with: the layout, strides and dilations.
struct Layout {
  Conv conv;
  bool first = false;
  int64_t rank = 0;
};
Layout layout(const std::string& op, const Tensor& input, const std::vector<int64_t>& strides,
              const std::vector<int64_t>& dilations, std::string_view data_format,
              int64_t expected_rank) {
  checked(input, op, "input");
  const int64_t rank = input.ndim();
  if ((expected_rank > 0 && rank != expected_rank) || rank < 3 || rank > 5)
    throw InvalidArgumentError(op + ": the input must have rank " +
                               (expected_rank > 0 ? std::to_string(expected_rank) : "3, 4 or 5") +
                               " (batch, spatial dims, channels), got shape " +
                               input.shape().to_string());
  Layout l{{{}, op}, channels_first(op, data_format, rank), rank};
  l.conv.spec.strides = spatial_of(
      per_dim(op, "strides", strides.empty() ? std::vector<int64_t>{1} : strides, rank, l.first),
      l.first);
  l.conv.spec.dilations =
      spatial_of(per_dim(op, "dilations", dilations.empty() ? std::vector<int64_t>{1} : dilations,
                         rank, l.first),
                 l.first);
  return l;
}

Tensor channels_last(const Layout& l, const Tensor& t) {
  return l.first ? transpose(t, to_channels_last(l.rank)) : t;
}
Tensor restore_layout(const Layout& l, const Tensor& t) {
  return l.first ? transpose(t, to_channels_first(l.rank)) : t;
}

Tensor convolve(const std::string& op, const Tensor& input, const Tensor& filters,
                const std::vector<int64_t>& strides, const Padding& padding,
                std::string_view data_format, const std::vector<int64_t>& dilations,
                int64_t expected_rank) {
  Layout l = layout(op, input, strides, dilations, data_format, expected_rank);
  checked(filters, op, "filters");
  if (filters.ndim() != l.rank)
    throw InvalidArgumentError(op + ": the filters " + filters.shape().to_string() +
                               " must have the input's rank (" + std::to_string(l.rank) + ")");
  Tensor x = channels_last(l, input);
  const int64_t channels = x.shape()[l.rank - 1], per_group = filters.shape()[l.rank - 2];
  require_known_dim(op, x, l.rank - 1, "the channel dimension");
  if (per_group > 0 && channels % per_group == 0) l.conv.spec.groups = channels / per_group;
  const std::vector<int64_t>& f = filters.shape().dims();
  set_padding(l.conv, padding, x.shape(), std::vector<int64_t>(f.begin(), f.end() - 2), l.first);
  return restore_layout(l, conv(l.conv, x, filters));
}

Tensor convolve_transpose(const std::string& op, const Tensor& input, const Tensor& filters,
                          const std::vector<int64_t>& output_shape,
                          const std::vector<int64_t>& strides, const Padding& padding,
                          std::string_view data_format, const std::vector<int64_t>& dilations,
                          int64_t expected_rank) {
  Layout l = layout(op, input, strides, dilations, data_format, expected_rank);
  checked(filters, op, "filters");
  if (static_cast<int64_t>(output_shape.size()) != l.rank)
    throw InvalidArgumentError(op + ": output_shape needs " + std::to_string(l.rank) +
                               " values (the full result shape), got " +
                               std::to_string(output_shape.size()));
  if (filters.ndim() != l.rank)
    throw InvalidArgumentError(op + ": the filters " + filters.shape().to_string() +
                               " must have the input's rank (" + std::to_string(l.rank) + ")");
  Tensor dy = channels_last(l, input);
  std::vector<int64_t> out = output_shape;
  if (l.first) {
    out.clear();
    for (int64_t d : to_channels_last(l.rank)) out.push_back(output_shape[static_cast<size_t>(d)]);
  }
  if (out[0] != dy.shape()[0] && dy.shape()[0] != kUnknownDim)
    throw InvalidArgumentError(op + ": output_shape's batch (" + std::to_string(out[0]) +
                               ") differs from the input's, shape " + input.shape().to_string());
  const std::vector<int64_t>& f = filters.shape().dims();
  const TensorShape out_shape(out);
  if (auto e = core::validate_shape(out_shape); !e.empty())
    throw InvalidArgumentError(op + ": output_shape: " + e);
  set_padding(l.conv, padding, out_shape, std::vector<int64_t>(f.begin(), f.end() - 2), l.first);
  return restore_layout(l, conv_backprop_input(l.conv, filters, dy, out_shape));
}

}  // namespace

namespace nn {

Tensor convolution(const Tensor& input, const Tensor& filters, const Padding& padding,
                   const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations,
                   std::string_view data_format) {
  return convolve("convolution", input, filters, strides, padding, data_format, dilations, 0);
}

#define TFJIT_CONV(name, rank)                                                                    \
  Tensor name(const Tensor& input, const Tensor& filters, const std::vector<int64_t>& strides,    \
              const Padding& padding, std::string_view data_format,                               \
              const std::vector<int64_t>& dilations) {                                            \
    return convolve(#name, input, filters, strides, padding, data_format, dilations, rank);       \
  }                                                                                               \
  Tensor name##_transpose(const Tensor& input, const Tensor& filters,                             \
                          const std::vector<int64_t>& output_shape,                               \
                          const std::vector<int64_t>& strides, const Padding& padding,            \
                          std::string_view data_format, const std::vector<int64_t>& dilations) {  \
    return convolve_transpose(#name "_transpose", input, filters, output_shape, strides, padding, \
                              data_format, dilations, rank);                                      \
  }
TFJIT_CONV(conv1d, 3)
TFJIT_CONV(conv2d, 4)
TFJIT_CONV(conv3d, 5)
#undef TFJIT_CONV

Tensor conv_transpose(const Tensor& input, const Tensor& filters,
                      const std::vector<int64_t>& output_shape, const std::vector<int64_t>& strides,
                      const Padding& padding, std::string_view data_format,
                      const std::vector<int64_t>& dilations) {
  return convolve_transpose("conv_transpose", input, filters, output_shape, strides, padding,
                            data_format, dilations, 0);
}

Tensor depthwise_conv2d(const Tensor& input, const Tensor& filter,
                        const std::vector<int64_t>& strides, const Padding& padding,
                        std::string_view data_format, const std::vector<int64_t>& dilations) {
  const std::string op = "depthwise_conv2d";
  checked(input, op, "input");
  checked(filter, op, "filter");
  if (filter.ndim() != 4 || input.ndim() != 4)
    throw InvalidArgumentError(op +
                               ": expects a rank-4 input and a rank-4 filter (height, width, "
                               "in_channels, channel_multiplier), got " +
                               input.shape().to_string() + " and " + filter.shape().to_string());
  const int64_t channels = input.shape()[channels_first(op, data_format, 4) ? 1 : 3];
  const TensorShape& f = filter.shape();
  if (channels != f[2])
    throw InvalidArgumentError(op + ": the input's channels (" + std::to_string(channels) +
                               ", shape " + input.shape().to_string() +
                               ") must equal the filter's in_channels (" + std::to_string(f[2]) +
                               ", shape " + f.to_string() + ")");
  // Output channel c * M + m of a convolution with `channels` groups of one input channel each.
  Tensor grouped = reshape(filter, {f[0], f[1], 1, f[2] * f[3]});
  return convolve(op, input, grouped, strides, padding, data_format, dilations, 4);
}

Tensor separable_conv2d(const Tensor& input, const Tensor& depthwise_filter,
                        const Tensor& pointwise_filter, const std::vector<int64_t>& strides,
                        const Padding& padding, std::string_view data_format,
                        const std::vector<int64_t>& dilations) {
  Tensor depthwise =
      depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations);
  return convolve("separable_conv2d", depthwise, pointwise_filter, {1}, "VALID", data_format, {},
                  4);
}

Tensor bias_add(const Tensor& value, const Tensor& bias, std::string_view data_format) {
  const std::string op = "bias_add";
  checked(value, op, "value");
  checked(bias, op, "bias");
  if (value.ndim() < 2 || bias.ndim() != 1)
    throw InvalidArgumentError(op + ": expects a value of rank >= 2 and a rank-1 bias, got " +
                               value.shape().to_string() + " and " + bias.shape().to_string());
  const bool first = channels_first(op, data_format, value.ndim());
  const int64_t axis = first ? 1 : value.ndim() - 1;
  if (value.shape()[axis] != bias.shape()[0] && value.shape()[axis] != kUnknownDim)
    throw InvalidArgumentError(op + ": the bias " + bias.shape().to_string() +
                               " must match the channel dimension of " + value.shape().to_string());
  if (!first) return value + bias;
  std::vector<int64_t> shape(static_cast<size_t>(value.ndim() - 1), 1);
  shape[0] = bias.shape()[0];
  return value + reshape(bias, shape);
}

}  // namespace nn

}  // namespace tf
