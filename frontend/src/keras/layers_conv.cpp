// Keras' convolution and pooling layers, on tf::nn's convolutions and reduce-window pooling.
#include "tfjit/keras/layers.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf::keras::layers {

namespace {

// tf::nn's data format for `rank` spatial dims: "NHWC" and the like.
std::string nn_format(int64_t rank, const std::string& keras_format, const std::string& layer) {
  static const char* last[] = {"NWC", "NHWC", "NDHWC"};
  static const char* first[] = {"NCW", "NCHW", "NCDHW"};
  if (rank < 1 || rank > 3) throw InvalidArgumentError(layer + ": 1 to 3 spatial dims");
  if (keras_format == "channels_last") return last[rank - 1];
  if (keras_format == "channels_first") return first[rank - 1];
  throw InvalidArgumentError(
      layer + ": data_format must be channels_last or channels_first, got '" + keras_format + "'");
}

const char* nn_padding(const std::string& padding, const std::string& layer) {
  if (padding == "valid") return "VALID";
  if (padding == "same") return "SAME";
  throw InvalidArgumentError(layer + ": padding must be 'valid' or 'same', got '" + padding + "'");
}

int64_t channels(const TensorShape& shape, const std::string& format, const std::string& layer) {
  int64_t c = format[1] == 'C' ? shape[1] : shape[shape.rank() - 1];
  if (c < 0)
    throw InvalidArgumentError("layer '" + layer + "': the channel dim must be known, got " +
                               shape.to_string());
  return c;
}

void check_input(const TensorShape& shape, int64_t rank, const std::string& layer) {
  if (shape.rank() != rank + 2)
    throw InvalidArgumentError("layer '" + layer + "' expects inputs of rank " +
                               std::to_string(rank + 2) + " (batch, spatial..., channels), got " +
                               shape.to_string());
}

Tensor add_bias(const Tensor& y, const Tensor& bias, const std::string& format) {
  return nn::bias_add(y, bias, format);
}

}  // namespace

Conv::Conv(int64_t rank, int64_t filters, Ints kernel_size, keras::Activation activation,
           ConvOptions options, std::string_view base)
    : Layer(options.name, base),
      rank_(rank),
      filters_(filters),
      kernel_size_(kernel_size.expand(rank, std::string(base) + ": kernel_size")),
      strides_(options.strides.expand(rank, std::string(base) + ": strides")),
      dilation_(options.dilation_rate.expand(rank, std::string(base) + ": dilation_rate")),
      activation_(std::move(activation)),
      options_(std::move(options)),
      format_(nn_format(rank, options_.data_format, std::string(base))) {
  if (filters <= 0 || options_.groups <= 0 || filters % options_.groups != 0)
    throw InvalidArgumentError(std::string(base) + ": filters (" + std::to_string(filters) +
                               ") must be positive and divisible by groups (" +
                               std::to_string(options_.groups) + ")");
  for (size_t i = 0; i < kernel_size_.size(); ++i)
    if (kernel_size_[i] <= 0 || strides_[i] <= 0 || dilation_[i] <= 0)
      throw InvalidArgumentError(std::string(base) +
                                 ": kernel_size, strides and dilation_rate must be positive");
  if (options_.padding != "valid" && options_.padding != "same" &&
      !(options_.padding == "causal" && rank == 1))
    throw InvalidArgumentError(std::string(base) + ": padding must be 'valid' or 'same'" +
                               (rank == 1 ? " or 'causal'" : "") + ", got '" + options_.padding +
                               "'");
}

void Conv::build(const TensorShape& input_shape) {
  check_input(input_shape, rank_, name());
  int64_t in = channels(input_shape, format_, name());
  if (in % options_.groups != 0)
    throw InvalidArgumentError("layer '" + name() + "': input channels (" + std::to_string(in) +
                               ") must be divisible by groups (" + std::to_string(options_.groups) +
                               ")");
  std::vector<int64_t> shape = kernel_size_;
  shape.push_back(in / options_.groups);
  shape.push_back(filters_);
  add_weight("kernel", TensorShape(shape), options_.kernel_initializer, true,
             options_.kernel_regularizer, options_.kernel_constraint);
  set_checkpoint_paths("kernel", {"_kernel"});  // Keras' attribute, for checkpoint interchange
  if (options_.use_bias)
    add_weight("bias", {filters_}, options_.bias_initializer, true, options_.bias_regularizer,
               options_.bias_constraint);
}

Tensor Conv::call(const Tensor& x, bool) {
  check_input(x.shape(), rank_, name());
  Tensor input = x;
  std::string padding = options_.padding;
  if (padding == "causal") {  // pad the start of the sequence only, then a valid convolution
    std::vector<std::pair<int64_t, int64_t>> pads(3, {0, 0});
    pads[format_ == "NWC" ? 1 : 2] = {dilation_[0] * (kernel_size_[0] - 1), 0};
    input = pad(x, pads);
    padding = "valid";
  }
  Tensor y = nn::convolution(input, weight("kernel"), nn_padding(padding, name()), strides_,
                             dilation_, format_);
  if (options_.use_bias) y = add_bias(y, weight("bias"), format_);
  return activation_(y);
}

Conv2DTranspose::Conv2DTranspose(int64_t filters, Ints kernel_size, keras::Activation activation,
                                 ConvOptions options)
    : Conv(2, filters, std::move(kernel_size), std::move(activation), std::move(options),
           "conv2d_transpose") {
  if (options_.groups != 1) throw InvalidArgumentError("Conv2DTranspose: groups must be 1");
}

void Conv2DTranspose::build(const TensorShape& input_shape) {
  check_input(input_shape, rank_, name());
  int64_t in = channels(input_shape, format_, name());
  add_weight("kernel", {kernel_size_[0], kernel_size_[1], filters_, in},
             options_.kernel_initializer, true, options_.kernel_regularizer,
             options_.kernel_constraint);
  if (options_.use_bias)
    add_weight("bias", {filters_}, options_.bias_initializer, true, options_.bias_regularizer,
               options_.bias_constraint);
}

Tensor Conv2DTranspose::call(const Tensor& x, bool) {
  check_input(x.shape(), rank_, name());
  const bool last = format_ == "NHWC";
  std::vector<int64_t> out{x.shape()[0]};
  if (!last) out.push_back(filters_);
  for (int64_t i = 0; i < 2; ++i) {
    int64_t in = x.shape()[last ? 1 + i : 2 + i];
    int64_t k = kernel_size_[i] + (kernel_size_[i] - 1) * (dilation_[i] - 1);
    // Keras' deconv_output_length.
    out.push_back(options_.padding == "same"
                      ? in * strides_[i]
                      : in * strides_[i] + std::max<int64_t>(k - strides_[i], 0));
  }
  if (last) out.push_back(filters_);
  Tensor y = nn::conv2d_transpose(x, weight("kernel"), out, strides_,
                                  nn_padding(options_.padding, name()), format_, dilation_);
  if (options_.use_bias) y = add_bias(y, weight("bias"), format_);
  return activation_(y);
}

DepthwiseConv2D::DepthwiseConv2D(Ints kernel_size, keras::Activation activation,
                                 DepthwiseConvOptions options)
    : Layer(options.name, "depthwise_conv2d"),
      kernel_size_(kernel_size.expand(2, "DepthwiseConv2D: kernel_size")),
      activation_(std::move(activation)),
      options_(std::move(options)) {
  if (options_.depth_multiplier <= 0)
    throw InvalidArgumentError("DepthwiseConv2D: depth_multiplier must be positive");
}

void DepthwiseConv2D::build(const TensorShape& input_shape) {
  std::string format = nn_format(2, options_.data_format, name());
  check_input(input_shape, 2, name());
  int64_t in = channels(input_shape, format, name());
  add_weight("kernel", {kernel_size_[0], kernel_size_[1], in, options_.depth_multiplier},
             options_.depthwise_initializer, true, options_.depthwise_regularizer);
  if (options_.use_bias)
    add_weight("bias", {in * options_.depth_multiplier}, options_.bias_initializer, true,
               options_.bias_regularizer);
}

Tensor DepthwiseConv2D::call(const Tensor& x, bool) {
  std::string format = nn_format(2, options_.data_format, name());
  check_input(x.shape(), 2, name());
  Tensor y = nn::depthwise_conv2d(x, weight("kernel"),
                                  options_.strides.expand(2, "DepthwiseConv2D: strides"),
                                  nn_padding(options_.padding, name()), format,
                                  options_.dilation_rate.expand(2, "DepthwiseConv2D: dilation"));
  if (options_.use_bias) y = add_bias(y, weight("bias"), format);
  return activation_(y);
}

SeparableConv2D::SeparableConv2D(int64_t filters, Ints kernel_size, keras::Activation activation,
                                 DepthwiseConvOptions options)
    : Layer(options.name, "separable_conv2d"),
      filters_(filters),
      kernel_size_(kernel_size.expand(2, "SeparableConv2D: kernel_size")),
      activation_(std::move(activation)),
      options_(std::move(options)) {
  if (filters <= 0 || options_.depth_multiplier <= 0)
    throw InvalidArgumentError("SeparableConv2D: filters and depth_multiplier must be positive");
}

void SeparableConv2D::build(const TensorShape& input_shape) {
  std::string format = nn_format(2, options_.data_format, name());
  check_input(input_shape, 2, name());
  int64_t in = channels(input_shape, format, name());
  add_weight("depthwise_kernel", {kernel_size_[0], kernel_size_[1], in, options_.depth_multiplier},
             options_.depthwise_initializer, true, options_.depthwise_regularizer);
  add_weight("pointwise_kernel", {1, 1, in * options_.depth_multiplier, filters_},
             options_.pointwise_initializer, true, options_.pointwise_regularizer);
  if (options_.use_bias)
    add_weight("bias", {filters_}, options_.bias_initializer, true, options_.bias_regularizer);
}

Tensor SeparableConv2D::call(const Tensor& x, bool) {
  std::string format = nn_format(2, options_.data_format, name());
  check_input(x.shape(), 2, name());
  Tensor y = nn::separable_conv2d(x, weight("depthwise_kernel"), weight("pointwise_kernel"),
                                  options_.strides.expand(2, "SeparableConv2D: strides"),
                                  nn_padding(options_.padding, name()), format,
                                  options_.dilation_rate.expand(2, "SeparableConv2D: dilation"));
  if (options_.use_bias) y = add_bias(y, weight("bias"), format);
  return activation_(y);
}

Pooling::Pooling(int64_t rank, bool max, Ints pool_size, PoolOptions options, std::string_view base)
    : Layer(options.name, base),
      rank_(rank),
      max_(max),
      pool_size_(pool_size.expand(rank, std::string(base) + ": pool_size")),
      strides_(options.strides ? options.strides->expand(rank, std::string(base) + ": strides")
                               : pool_size_),
      options_(std::move(options)) {
  nn_format(rank, options_.data_format, std::string(base));
  nn_padding(options_.padding, std::string(base));
}

Tensor Pooling::call(const Tensor& x, bool) {
  check_input(x.shape(), rank_, name());
  std::string format = nn_format(rank_, options_.data_format, name());
  std::string padding = nn_padding(options_.padding, name());
  return max_ ? nn::max_pool(x, pool_size_, strides_, padding, format)
              : nn::avg_pool(x, pool_size_, strides_, padding, format);
}

GlobalPooling::GlobalPooling(int64_t rank, bool max, GlobalPoolOptions options,
                             std::string_view base)
    : Layer(options.name, base), rank_(rank), max_(max), options_(std::move(options)) {
  nn_format(rank, options_.data_format, std::string(base));
}

Tensor GlobalPooling::call(const Tensor& x, bool) {
  check_input(x.shape(), rank_, name());
  std::vector<int64_t> axes;
  const int64_t first = options_.data_format == "channels_last" ? 1 : 2;
  for (int64_t i = 0; i < rank_; ++i) axes.push_back(first + i);
  return max_ ? reduce_max(x, axes, options_.keepdims) : reduce_mean(x, axes, options_.keepdims);
}

}  // namespace tf::keras::layers
