// tf.image's composites. Resizing gathers the source rows and columns each output reads (their
// indices and weights are constants of the sizes), so its gradient is gather's.
#include <cmath>

#include "frontend/src/op_helpers.h"
#include "tfjit/creation.h"
#include "tfjit/image.h"
#include "tfjit/ops.h"

namespace tf::image {

using detail::checked;

namespace {

// The image's height axis: images are (h, w, c) or (n, h, w, c).
int64_t height_axis(const std::string& op, const Tensor& image) {
  checked(image, op, "image");
  if (image.ndim() != 3 && image.ndim() != 4)
    throw InvalidArgumentError(op +
                               ": expects an image (height, width, channels) or a batch of "
                               "them, got shape " +
                               image.shape().to_string());
  return image.ndim() - 3;
}

// Along one axis of `n` source pixels resized to `out`: the output reads source (lo, hi) with
// weights (1 - t, t) for bilinear, or source lo alone for nearest (half-pixel centres).
Tensor resize_axis(const Tensor& x, int64_t axis, int64_t out, bool bilinear) {
  const int64_t n = x.shape()[axis];
  const double scale = static_cast<double>(n) / static_cast<double>(out);
  std::vector<int32_t> lo, hi;
  std::vector<float> t;
  for (int64_t o = 0; o < out; ++o) {
    if (!bilinear) {
      lo.push_back(static_cast<int32_t>(
          std::min<int64_t>(static_cast<int64_t>(std::floor((o + 0.5) * scale)), n - 1)));
      continue;
    }
    const double src = std::max((o + 0.5) * scale - 0.5, 0.0);
    const auto i = static_cast<int64_t>(std::floor(src));
    lo.push_back(static_cast<int32_t>(std::min(i, n - 1)));
    hi.push_back(static_cast<int32_t>(std::min(i + 1, n - 1)));
    t.push_back(static_cast<float>(src - static_cast<double>(i)));
  }
  const TensorShape count{out};
  Tensor at_lo = gather(x, constant(lo, count), axis);
  if (!bilinear) return at_lo;
  std::vector<int64_t> weight_shape(static_cast<size_t>(x.ndim()), 1);
  weight_shape[static_cast<size_t>(axis)] = out;
  Tensor w = reshape(constant(t, count), weight_shape);
  return at_lo + (gather(x, constant(hi, count), axis) - at_lo) * w;
}

}  // namespace

Tensor resize(const Tensor& images, const std::vector<int64_t>& size, std::string_view method) {
  const std::string op = "resize";
  const int64_t h = height_axis(op, images);
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    throw InvalidArgumentError(op + ": size must be two positive values (height, width)");
  if (method != "bilinear" && method != "nearest")
    throw InvalidArgumentError(op + ": method must be \"bilinear\" or \"nearest\", got \"" +
                               std::string(method) + "\"");
  for (int64_t d : {h, h + 1}) {
    detail::require_known_dim(op, images, d, "the spatial dimension");
    if (images.shape()[d] == 0)
      throw InvalidArgumentError(op + ": cannot resize an empty image, shape " +
                                 images.shape().to_string());
  }
  const bool bilinear = method == "bilinear";
  Tensor x = images;
  if (bilinear && x.dtype() != float32) x = cast(x, float32);
  return resize_axis(resize_axis(x, h, size[0], bilinear), h + 1, size[1], bilinear);
}

Tensor flip_left_right(const Tensor& image) {
  return reverse(image, {height_axis("flip_left_right", image) + 1});
}

Tensor flip_up_down(const Tensor& image) {
  return reverse(image, {height_axis("flip_up_down", image)});
}

Tensor random_flip_left_right(const Tensor& image, std::optional<uint64_t> seed) {
  const int64_t h = height_axis("random_flip_left_right", image);
  std::vector<int64_t> per_image(static_cast<size_t>(image.ndim()), 1);
  if (h == 1) per_image[0] = image.shape()[0];
  Tensor draw;
  if (per_image[0] == kUnknownDim) {  // a batch unknown while tracing: shaped like one per image
    std::vector<int64_t> axes;
    for (int64_t d = 1; d < image.ndim(); ++d) axes.push_back(d);
    draw = detail::uniform_like("random_flip_left_right", reduce_max(image, axes, true), float32,
                                seed);
  } else {
    draw = random::uniform(TensorShape(per_image), 0, 1, float32, seed);
  }
  Tensor flip = draw < 0.5;
  return where(flip, flip_left_right(image), image);
}

Tensor per_image_standardization(const Tensor& image) {
  const int64_t h = height_axis("per_image_standardization", image);
  Tensor x = image.dtype() == float32 ? image : cast(image, float32);  // as TensorFlow
  std::vector<int64_t> axes = {h, h + 1, h + 2};
  for (int64_t d : axes) detail::require_known_dim("per_image_standardization", x, d);
  const int64_t count = x.shape()[h] * x.shape()[h + 1] * x.shape()[h + 2];
  Tensor mean = reduce_mean(x, axes, /*keepdims=*/true);
  Tensor stddev = sqrt(reduce_mean(square(x - mean), axes, /*keepdims=*/true));
  const double floor = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(count, 1)));
  return (x - mean) / maximum(stddev, fill({}, floor, x.dtype()));
}

}  // namespace tf::image
