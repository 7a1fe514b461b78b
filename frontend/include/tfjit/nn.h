// tf.nn: neural-network ops. Pooling runs on the reduce_window primitive (eager kernels, compiled
// code and gradients for any rank).
//
//   auto y = tf::nn::max_pool2d(images, {2}, {2}, "VALID");  // NHWC, 2x2 windows, stride 2
#pragma once

#include <string_view>
#include <vector>

#include "tfjit/export.h"
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

}  // namespace tf::nn
TFJIT_API_END
