// Convolution's shape rules (declared in core/shape_rules.h).
#include <string>

#include "core/shape_rules.h"

namespace tf::core {

namespace {

std::string list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Checks the attributes against `spatial` dims; empty if they fit.
std::string check_spec(const ConvSpec& spec, size_t spatial) {
  for (const auto* l : {&spec.strides, &spec.dilations, &spec.low, &spec.high})
    if (l->size() != spatial)
      return "strides, dilations and paddings need one entry per spatial dimension (" +
             std::to_string(spatial) + "), got " + list(*l);
  constexpr int64_t kLimit = int64_t{1} << 40;  // sizes past it would overflow below
  for (size_t d = 0; d < spatial; ++d) {
    if (spec.strides[d] < 1 || spec.dilations[d] < 1 || spec.strides[d] > kLimit ||
        spec.dilations[d] > kLimit)
      return "strides and dilations must be in [1, 2^40], got strides " + list(spec.strides) +
             " and dilations " + list(spec.dilations);
    if (spec.low[d] < 0 || spec.high[d] < 0 || spec.low[d] > kLimit || spec.high[d] > kLimit)
      return "paddings must be in [0, 2^40], got " + list(spec.low) + " before and " +
             list(spec.high) + " after";
  }
  if (spec.groups < 1) return "groups must be >= 1, got " + std::to_string(spec.groups);
  return {};
}

}  // namespace

ShapeResult conv_shape(const TensorShape& x, const TensorShape& filter, const ConvSpec& spec) {
  const int64_t rank = x.rank();
  if (rank < 3 || rank > 5)
    return {{},
            "the input must have rank 3, 4 or 5 (batch, 1 to 3 spatial dims, channels), got " +
                x.to_string()};
  if (filter.rank() != rank)
    return {{},
            "the filter " + filter.to_string() + " must have the input's rank (" +
                std::to_string(rank) + ": spatial dims, input channels, output channels)"};
  const auto spatial = static_cast<size_t>(rank - 2);
  if (auto e = check_spec(spec, spatial); !e.empty()) return {{}, e};
  for (int64_t d = 1; d < rank; ++d)
    if (x[d] == kUnknownDim)
      return {{}, "only the batch dimension may be unknown, got input " + x.to_string()};
  if (!filter.is_fully_defined())
    return {{}, "the filter's shape must be known, got " + filter.to_string()};
  const int64_t channels = x[rank - 1], in_per_group = filter[rank - 2], out = filter[rank - 1];
  if (channels % spec.groups != 0 || out % spec.groups != 0)
    return {{},
            "input channels (" + std::to_string(channels) + ") and output channels (" +
                std::to_string(out) + ") must be multiples of groups (" +
                std::to_string(spec.groups) + ")"};
  int64_t grouped = 0;
  if (__builtin_mul_overflow(in_per_group, spec.groups, &grouped) || grouped != channels)
    return {{},
            "the input's channels (" + std::to_string(channels) + ", shape " + x.to_string() +
                ") must equal the filter's input channels (" + std::to_string(in_per_group) +
                ", shape " + filter.to_string() + ")" +
                (spec.groups > 1 ? " times groups (" + std::to_string(spec.groups) + ")" : "")};
  std::vector<int64_t> dims = {x[0]};
  for (size_t d = 0; d < spatial; ++d) {
    const auto i = static_cast<int64_t>(d) + 1;
    const int64_t k = filter[i - 1];
    if (k < 1) return {{}, "the filter's spatial dims must be >= 1, got " + filter.to_string()};
    // A filter of k taps dilated by r spans (k - 1) r + 1 elements.
    int64_t span = 0, reach = 0;
    if (__builtin_add_overflow(x[i], spec.low[d] + spec.high[d], &span) ||
        __builtin_mul_overflow(k - 1, spec.dilations[d], &reach) || ++reach < 0)
      return {{},
              "the padded input or the dilated filter overflows int64 in spatial dimension " +
                  std::to_string(d)};
    if (span < reach)
      return {{},
              "the filter " + filter.to_string() + " (dilated: " + std::to_string(reach) +
                  ") is larger than the padded input (" + std::to_string(span) +
                  ") in spatial dimension " + std::to_string(d) + " of input " + x.to_string() +
                  ": the output would be empty"};
    dims.push_back((span - reach) / spec.strides[d] + 1);
  }
  dims.push_back(out);
  return {TensorShape(std::move(dims)), {}};
}

namespace {
// Only the output gradient's batch may be unknown, as only the input's may.
std::string check_output_grad(const TensorShape& output_grad) {
  for (int64_t d = 1; d < output_grad.rank(); ++d)
    if (output_grad[d] == kUnknownDim)
      return "only the batch dimension of the output gradient may be unknown, got " +
             output_grad.to_string();
  return {};
}
// Empty if the convolution of x by filter has output_grad's shape, else why not.
std::string check_against_forward(const TensorShape& x, const TensorShape& filter,
                                  const TensorShape& output_grad, const ConvSpec& spec) {
  ShapeResult forward = conv_shape(x, filter, spec);
  if (!forward.ok()) return forward.error;
  if (!match_shape(forward.shape, output_grad).empty() &&
      !match_shape(output_grad, forward.shape).empty())
    return "the output gradient " + output_grad.to_string() + " must have the shape " +
           forward.shape.to_string() + " that the convolution of " + x.to_string() + " by " +
           filter.to_string() + " gives";
  return {};
}

}  // namespace

ShapeResult conv_backprop_input_shape(const TensorShape& filter, const TensorShape& output_grad,
                                      const TensorShape& input, const ConvSpec& spec) {
  if (auto e = check_output_grad(output_grad); !e.empty()) return {{}, e};
  if (input.rank() != output_grad.rank())
    return {{},
            "the input shape " + input.to_string() + " and the output gradient " +
                output_grad.to_string() + " must have equal ranks"};
  if (auto e = validate_shape(input, /*allow_unknown=*/true); !e.empty())
    return {{}, "the input shape: " + e};
  std::vector<int64_t> dims = input.dims();
  if (dims.empty()) return {{}, "the input shape must not be a scalar"};
  dims[0] = output_grad[0];
  TensorShape x(std::move(dims));
  if (auto e = check_against_forward(x, filter, output_grad, spec); !e.empty()) return {{}, e};
  return {x, {}};
}

ShapeResult conv_backprop_filter_shape(const TensorShape& x, const TensorShape& output_grad,
                                       const TensorShape& filter, const ConvSpec& spec) {
  if (auto e = validate_shape(filter); !e.empty()) return {{}, "the filter shape: " + e};
  if (auto e = check_output_grad(output_grad); !e.empty()) return {{}, e};
  if (auto e = check_against_forward(x, filter, output_grad, spec); !e.empty()) return {{}, e};
  return {filter, {}};
}

}  // namespace tf::core
