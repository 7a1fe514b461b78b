// tf.image: resizing, flips and standardisation of images, (height, width, channels) or a batch
// (batch, height, width, channels). Composites of public ops: they trace, compile and
// differentiate.
//
//   auto small = tf::image::resize(images, {14, 14});                 // bilinear
//   auto aug = tf::image::random_flip_left_right(images);              // a new choice per call
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf::image {

// TensorFlow 2's tf.image.resize (half-pixel centres): "bilinear" or "nearest". The result is
// float32, except that "nearest" keeps the input's dtype, as TensorFlow's.
Tensor resize(const Tensor& images, const std::vector<int64_t>& size,
              std::string_view method = "bilinear");
Tensor flip_left_right(const Tensor& image);
Tensor flip_up_down(const Tensor& image);
// Each image flipped with probability 1/2 (a new draw at every call, compiled too).
Tensor random_flip_left_right(const Tensor& image, std::optional<uint64_t> seed = std::nullopt);
// (x - mean) / max(stddev, 1 / sqrt(elements)) per image, in float32 (as TensorFlow's).
Tensor per_image_standardization(const Tensor& image);

}  // namespace tf::image
TFJIT_API_END
