// Keras' BatchNormalization and LayerNormalization, as tf::nn composites (so they trace, fuse and
// differentiate like any other ops).
#include <algorithm>

#include "tfjit/keras/layers.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf::keras::layers {

namespace {
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& layer) {
  if (axis < -rank || axis >= rank)
    throw InvalidArgumentError("layer '" + layer + "': axis " + std::to_string(axis) +
                               " is out of range for an input of rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}
// A weight over `axes` reshaped to broadcast against an input of `rank` dims.
Tensor broadcastable(const Tensor& w, const std::vector<int64_t>& axes, const TensorShape& x) {
  if (axes.size() == 1 && axes[0] == x.rank() - 1) return w;
  std::vector<int64_t> shape(x.rank(), 1);
  for (int64_t a : axes) shape[a] = x[a];
  return reshape(w, shape);
}
}  // namespace

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer(options.name, "batch_normalization"), options_(std::move(options)) {
  if (!(options_.momentum >= 0 && options_.momentum <= 1) || !(options_.epsilon > 0))
    throw InvalidArgumentError(
        "BatchNormalization: momentum must be in [0, 1] and epsilon positive");
}

void BatchNormalization::build(const TensorShape& input_shape) {
  int64_t axis = normalize_axis(options_.axis, input_shape.rank(), name());
  int64_t c = input_shape[axis];
  if (c < 0)
    throw InvalidArgumentError("layer '" + name() + "': the normalised dim must be known, got " +
                               input_shape.to_string());
  if (options_.scale) add_weight("gamma", {c}, options_.gamma_initializer);
  if (options_.center) add_weight("beta", {c}, options_.beta_initializer);
  add_weight("moving_mean", {c}, options_.moving_mean_initializer, false);
  add_weight("moving_variance", {c}, options_.moving_variance_initializer, false);
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  const TensorShape& shape = x.shape();
  int64_t axis = normalize_axis(options_.axis, shape.rank(), name());
  std::vector<int64_t> reduce, channel{axis};
  for (int64_t i = 0; i < shape.rank(); ++i)
    if (i != axis) reduce.push_back(i);
  Variable moving_mean = weight("moving_mean"), moving_variance = weight("moving_variance");
  Tensor gamma = options_.scale ? broadcastable(weight("gamma"), channel, shape) : Tensor();
  Tensor beta = options_.center ? broadcastable(weight("beta"), channel, shape) : Tensor();
  Tensor mean, variance;
  if (training && trainable()) {
    auto m = nn::moments(x, reduce);
    const double f = 1 - options_.momentum;
    moving_mean.assign(moving_mean.read_value() * options_.momentum + m.mean * f);
    moving_variance.assign(moving_variance.read_value() * options_.momentum + m.variance * f);
    mean = broadcastable(m.mean, channel, shape);
    variance = broadcastable(m.variance, channel, shape);
  } else {
    mean = broadcastable(moving_mean, channel, shape);
    variance = broadcastable(moving_variance, channel, shape);
  }
  return nn::batch_normalization(x, mean, variance, beta, gamma, options_.epsilon);
}

LayerNormalization::LayerNormalization(LayerNormalizationOptions options)
    : Layer(options.name, "layer_normalization"), options_(std::move(options)) {
  if (options_.axis.empty() || !(options_.epsilon > 0))
    throw InvalidArgumentError("LayerNormalization: give at least one axis and a positive epsilon");
}

// The normalised axes for an input of `rank` dims, sorted (from the options at each use: the
// layer object holds no state of its own, so every copy of it works).
std::vector<int64_t> LayerNormalization::axes(int64_t rank) const {
  std::vector<int64_t> axes;
  for (int64_t a : options_.axis) axes.push_back(normalize_axis(a, rank, name()));
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    throw InvalidArgumentError("layer '" + name() + "': repeated axis");
  return axes;
}

void LayerNormalization::build(const TensorShape& input_shape) {
  std::vector<int64_t> shape;
  for (int64_t a : axes(input_shape.rank())) {
    if (input_shape[a] < 0)
      throw InvalidArgumentError("layer '" + name() + "': normalised dims must be known, got " +
                                 input_shape.to_string());
    shape.push_back(input_shape[a]);
  }
  if (options_.scale) add_weight("gamma", TensorShape(shape), options_.gamma_initializer);
  if (options_.center) add_weight("beta", TensorShape(shape), options_.beta_initializer);
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  std::vector<int64_t> a = axes(x.shape().rank());
  auto m = nn::moments(x, a, /*keepdims=*/true);
  Tensor gamma = options_.scale ? broadcastable(weight("gamma"), a, x.shape()) : Tensor();
  Tensor beta = options_.center ? broadcastable(weight("beta"), a, x.shape()) : Tensor();
  return nn::batch_normalization(x, m.mean, m.variance, beta, gamma, options_.epsilon);
}

}  // namespace tf::keras::layers
