// tf.nn: neural-network ops. Pooling runs on the reduce_window primitive (eager kernels, compiled
// code and gradients for any rank); convolutions on the conv primitive (oneDNN for float32 on the
// CPU, eagerly and in compiled code; gradients to any order).
//
//   auto y = tf::nn::max_pool2d(images, {2}, {2}, "VALID");  // NHWC, 2x2 windows, stride 2
//   auto z = tf::nn::conv2d(images, filters, {1}, "SAME");   // filters (3, 3, in, out): HWIO
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/table_ops.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf::nn {

// Pooling over the spatial dims of `input`: channels last by default ("NWC", "NHWC", "NDHWC"),
// or channels first ("NCW", "NCHW", "NCDHW"). `ksize` and `strides` give one value for every
// spatial dim, one per spatial dim, or one per dim of the input (1 at batch and channels), as
// TensorFlow accepts. `padding` is "VALID" (windows inside the input) or "SAME" (output size
// ceil(in / stride), padded evenly with the extra at the end). Max pooling ignores the padding,
// average pooling divides by the number of elements inside the input, as TensorFlow does.
// max_pool / avg_pool take any number of spatial dims; the numbered ones check the rank.
Tensor max_pool(const Tensor& input, const std::vector<int64_t>& ksize,
                const std::vector<int64_t>& strides, std::string_view padding,
                std::string_view data_format = "");
Tensor avg_pool(const Tensor& input, const std::vector<int64_t>& ksize,
                const std::vector<int64_t>& strides, std::string_view padding,
                std::string_view data_format = "");
Tensor max_pool1d(const Tensor& input, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, std::string_view padding,
                  std::string_view data_format = "NWC");
Tensor max_pool2d(const Tensor& input, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, std::string_view padding,
                  std::string_view data_format = "NHWC");
Tensor max_pool3d(const Tensor& input, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, std::string_view padding,
                  std::string_view data_format = "NDHWC");
Tensor avg_pool1d(const Tensor& input, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, std::string_view padding,
                  std::string_view data_format = "NWC");
Tensor avg_pool2d(const Tensor& input, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, std::string_view padding,
                  std::string_view data_format = "NHWC");
Tensor avg_pool3d(const Tensor& input, const std::vector<int64_t>& ksize,
                  const std::vector<int64_t>& strides, std::string_view padding,
                  std::string_view data_format = "NDHWC");
// tf.nn.pool: `pooling_type` "MAX" or "AVG"; `strides` empty means 1.
Tensor pool(const Tensor& input, const std::vector<int64_t>& window_shape,
            std::string_view pooling_type, const std::vector<int64_t>& strides = {},
            std::string_view padding = "VALID", std::string_view data_format = "");

// A convolution's padding: "VALID" (no padding), "SAME" (output size ceil(in / stride), padded
// evenly with the extra at the end), or explicit (before, after) pairs, one per spatial dim or
// one per input dim with (0, 0) at batch and channels, as TensorFlow's explicit padding.
class Padding {
 public:
  Padding(const char* name) : name_(name) {}
  Padding(std::string_view name) : name_(name) {}
  Padding(std::vector<std::pair<int64_t, int64_t>> pairs) : pairs_(std::move(pairs)) {}
  bool is_explicit() const { return name_.empty(); }
  const std::string& name() const { return name_; }
  const std::vector<std::pair<int64_t, int64_t>>& pairs() const { return pairs_; }

 private:
  std::string name_;
  std::vector<std::pair<int64_t, int64_t>> pairs_;
};

// Convolutions. `input` is channels last by default ("NWC", "NHWC", "NDHWC") or channels first
// ("NCW", "NCHW", "NCDHW"); `filters` is (spatial..., in_channels, out_channels) (HWIO). When
// in_channels divides the input's channels, the convolution is grouped (input channels /
// in_channels groups, as TensorFlow's). `strides` and `dilations` take one value, one per
// spatial dim, or one per input dim (1 at batch and channels); empty dilations mean 1.
// float16, bfloat16, float32, float64.
Tensor convolution(const Tensor& input, const Tensor& filters, const Padding& padding = "VALID",
                   const std::vector<int64_t>& strides = {},
                   const std::vector<int64_t>& dilations = {}, std::string_view data_format = "");
Tensor conv1d(const Tensor& input, const Tensor& filters, const std::vector<int64_t>& stride,
              const Padding& padding, std::string_view data_format = "NWC",
              const std::vector<int64_t>& dilations = {});
Tensor conv2d(const Tensor& input, const Tensor& filters, const std::vector<int64_t>& strides,
              const Padding& padding, std::string_view data_format = "NHWC",
              const std::vector<int64_t>& dilations = {});
Tensor conv3d(const Tensor& input, const Tensor& filters, const std::vector<int64_t>& strides,
              const Padding& padding, std::string_view data_format = "NDHWC",
              const std::vector<int64_t>& dilations = {});
// The transpose (gradient) of conv1d/2d/3d: `filters` is (spatial..., out_channels,
// in_channels), `output_shape` the full result shape (batch, spatial..., channels in
// `data_format`), which the forward convolution must map to `input`'s shape.
Tensor conv_transpose(const Tensor& input, const Tensor& filters,
                      const std::vector<int64_t>& output_shape, const std::vector<int64_t>& strides,
                      const Padding& padding = "SAME", std::string_view data_format = "",
                      const std::vector<int64_t>& dilations = {});
Tensor conv1d_transpose(const Tensor& input, const Tensor& filters,
                        const std::vector<int64_t>& output_shape,
                        const std::vector<int64_t>& strides, const Padding& padding = "SAME",
                        std::string_view data_format = "NWC",
                        const std::vector<int64_t>& dilations = {});
Tensor conv2d_transpose(const Tensor& input, const Tensor& filters,
                        const std::vector<int64_t>& output_shape,
                        const std::vector<int64_t>& strides, const Padding& padding = "SAME",
                        std::string_view data_format = "NHWC",
                        const std::vector<int64_t>& dilations = {});
Tensor conv3d_transpose(const Tensor& input, const Tensor& filters,
                        const std::vector<int64_t>& output_shape,
                        const std::vector<int64_t>& strides, const Padding& padding = "SAME",
                        std::string_view data_format = "NDHWC",
                        const std::vector<int64_t>& dilations = {});
// `filter` is (height, width, in_channels, channel_multiplier): output channel c * multiplier
// + m convolves input channel c with filter[..., c, m] (a convolution with in_channels groups).
Tensor depthwise_conv2d(const Tensor& input, const Tensor& filter,
                        const std::vector<int64_t>& strides, const Padding& padding,
                        std::string_view data_format = "NHWC",
                        const std::vector<int64_t>& dilations = {});
// depthwise_conv2d, then a 1x1 convolution by `pointwise_filter` (1, 1, in_channels *
// multiplier, out_channels).
Tensor separable_conv2d(const Tensor& input, const Tensor& depthwise_filter,
                        const Tensor& pointwise_filter, const std::vector<int64_t>& strides,
                        const Padding& padding, std::string_view data_format = "NHWC",
                        const std::vector<int64_t>& dilations = {});
// value + bias along the channel dim ("N...C" or "NC...").
Tensor bias_add(const Tensor& value, const Tensor& bias, std::string_view data_format = "");

// --- Activations (the elementwise ones are table ops: tf::relu6, tf::elu, ...) ---
using tf::elu;
using tf::log_sigmoid;
using tf::relu6;
using tf::selu;
using tf::silu;
using tf::softsign;
// x > 0 ? x : alpha * x.
Tensor leaky_relu(const Tensor& features, double alpha = 0.2);
// x * Phi(x) (the normal distribution's CDF), or its tanh approximation.
Tensor gelu(const Tensor& features, bool approximate = false);
// x * sigmoid(beta * x); beta 1 is silu.
Tensor swish(const Tensor& features, double beta = 1.0);

// --- Losses, with TensorFlow's numerically stable forms (per example: reduced over the class
// axis only) ---
// -sum(labels * log_softmax(logits)) along `axis`; its gradient is fused: softmax - labels.
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                         int64_t axis = -1);
// Integer class labels, one per row of logits (the last axis are the classes); a label outside
// [0, classes) is an InvalidArgumentError, eagerly and (once the call has run) compiled.
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
// max(x, 0) - x * z + log(1 + exp(-|x|)) for logits x and labels z.
Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);
// sigmoid cross-entropy with the positive term weighted by pos_weight.
Tensor weighted_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                          double pos_weight);
// exp(log_input) - targets * log_input (+ Stirling's approximation of log(targets!) if full).
Tensor log_poisson_loss(const Tensor& targets, const Tensor& log_input,
                        bool compute_full_loss = false);
// sum(t^2) / 2.
Tensor l2_loss(const Tensor& t);
// tf.nn.compute_average_loss: sum(per_example_loss * sample_weight) / global_batch_size, so that
// summing the replicas' gradients (tf::distribute) gives the global batch mean's. Without a
// global batch size: the per-replica batch (the first dim) times num_replicas_in_sync of the
// current replica context.
Tensor compute_average_loss(const Tensor& per_example_loss,
                            std::optional<int64_t> global_batch_size = std::nullopt,
                            const Tensor& sample_weight = Tensor());

// --- Normalisation ---
struct Moments {
  Tensor mean, variance;
};
// Mean and (biased) variance over `axes`.
Moments moments(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims = false);
// (x - mean) * scale / sqrt(variance + epsilon) + offset; offset and scale may be null tensors.
Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const Tensor& offset, const Tensor& scale, double variance_epsilon);
// tf.compat.v1.nn.fused_batch_norm over all dims but the channels ("NHWC"/"NCHW", ...). In
// training, normalises by the batch statistics and returns them, the variance with Bessel's
// correction, blended into `mean`/`variance` as (1 - f) * old + f * batch when
// exponential_avg_factor f < 1 (as Keras' moving statistics); in inference, normalises by
// `mean` and `variance` and returns them.
struct FusedBatchNorm {
  Tensor y, mean, variance;
};
FusedBatchNorm fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                const Tensor& mean = Tensor(), const Tensor& variance = Tensor(),
                                double epsilon = 0.001, double exponential_avg_factor = 1.0,
                                std::string_view data_format = "NHWC", bool is_training = true);
// x / sqrt(max(sum(x^2, axis), epsilon)).
Tensor l2_normalize(const Tensor& x, Axes axis = {}, double epsilon = 1e-12);
// Local response normalisation across the channels of a 4-D NHWC input (AlexNet's), as
// tf.nn.local_response_normalization: x / (bias + alpha * sum(x^2 over channels c +- depth_radius,
// clipped at the edges))^beta. The window sum is the reduce_window primitive.
Tensor local_response_normalization(const Tensor& input, int64_t depth_radius = 5, double bias = 1,
                                    double alpha = 1, double beta = 0.5);
inline Tensor lrn(const Tensor& input, int64_t depth_radius = 5, double bias = 1, double alpha = 1,
                  double beta = 0.5) {
  return local_response_normalization(input, depth_radius, bias, alpha, beta);
}

// --- Regularisation and embeddings ---
// Each element kept with probability 1 - rate and scaled by 1 / (1 - rate), zeroed otherwise;
// a new mask at every call, inside tf::function too. noise_shape (empty: x's shape) broadcasts
// to x's, so a mask can be shared along dims of size 1. rate in [0, 1).
Tensor dropout(const Tensor& x, double rate, const std::vector<int64_t>& noise_shape = {},
               std::optional<uint64_t> seed = std::nullopt);
// Rows of params: gather(params, ids, 0).
Tensor embedding_lookup(const Tensor& params, const Tensor& ids);

}  // namespace tf::nn
TFJIT_API_END
