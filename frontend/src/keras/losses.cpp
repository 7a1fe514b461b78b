// Keras' losses, with Keras' conventions: probabilities renormalised and clipped to
// [1e-7, 1 - 1e-7], labels smoothed, per-sample values reduced over the last axis.
#include "tfjit/keras/losses.h"

#include "tfjit/creation.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf::keras::losses {

namespace {
constexpr double kEpsilon = 1e-7;  // Keras' backend epsilon

void check_pair(const Tensor& y_true, const Tensor& y_pred, const char* loss) {
  if (!y_true.defined() || !y_pred.defined())
    throw InvalidArgumentError(std::string(loss) + ": null tensor");
  if (!is_floating(y_pred.dtype()))
    throw InvalidArgumentError(std::string(loss) + ": y_pred must be floating-point, got " +
                               std::string(dtype_name(y_pred.dtype())));
}
}  // namespace

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& a, const Tensor& b) {
  const int64_t ra = a.shape().rank(), rb = b.shape().rank();
  if (ra == rb + 1 && a.shape()[ra - 1] == 1)
    return rb == 1 ? std::pair{a, expand_dims(b, -1)} : std::pair{squeeze(a, {ra - 1}), b};
  if (rb == ra + 1 && b.shape()[rb - 1] == 1)
    return ra == 1 ? std::pair{expand_dims(a, -1), b} : std::pair{a, squeeze(b, {rb - 1})};
  return {a, b};
}

namespace {
// y_true and y_pred as Keras pairs them: a trailing 1 squeezed or added (labels (N,) against a
// Dense(1) output (N, 1)), y_true in y_pred's dtype; then the shapes must be equal.
std::pair<Tensor, Tensor> matching(const Tensor& y_true, const Tensor& y_pred, const char* loss) {
  check_pair(y_true, y_pred, loss);
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  if (t.shape() != p.shape())
    throw InvalidArgumentError(std::string(loss) + ": y_true " + y_true.shape().to_string() +
                               " and y_pred " + y_pred.shape().to_string() +
                               " must have the same shape");
  return {cast(t, p.dtype()), p};
}
}  // namespace

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       bool from_logits) {
  check_pair(y_true, y_pred, "sparse_categorical_crossentropy");
  Tensor labels = y_true;
  const int64_t rank = y_pred.shape().rank();
  if (labels.shape().rank() == rank && rank > 0 && labels.shape()[rank - 1] == 1)
    labels = squeeze(labels, {rank - 1});
  if (labels.shape().rank() + 1 != rank)
    throw InvalidArgumentError("sparse_categorical_crossentropy: labels " +
                               labels.shape().to_string() + " do not match predictions " +
                               y_pred.shape().to_string() +
                               " (one integer label per row of class scores)");
  if (!is_integer(labels.dtype())) labels = cast(labels, int64);
  if (from_logits) return nn::sparse_softmax_cross_entropy_with_logits(labels, y_pred);
  Tensor p = y_pred / reduce_sum(y_pred, -1, /*keepdims=*/true);
  p = clip_by_value(p, kEpsilon, 1 - kEpsilon);
  return -reduce_sum(one_hot(labels, y_pred.shape()[rank - 1], 1, 0, y_pred.dtype()) * log(p), -1);
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred_in, bool from_logits,
                                double label_smoothing) {
  auto [labels, y_pred] = matching(y_true, y_pred_in, "categorical_crossentropy");
  if (label_smoothing < 0 || label_smoothing > 1)
    throw InvalidArgumentError("categorical_crossentropy: label_smoothing must be in [0, 1]");
  if (y_pred.ndim() == 0)
    throw InvalidArgumentError(
        "categorical_crossentropy: y_pred must have a class dimension, "
        "got a scalar");
  if (label_smoothing > 0) {
    // The class count: known while tracing, or read at run time (an unknown dim).
    const int64_t last = y_pred.shape().rank() - 1, classes = y_pred.shape()[last];
    Tensor count = classes >= 0 ? scalar_like(y_pred, static_cast<double>(classes))
                                : cast(shape(y_pred)[last], y_pred.dtype());
    labels = labels * (1 - label_smoothing) + label_smoothing / count;
  }
  if (from_logits) return nn::softmax_cross_entropy_with_logits(labels, y_pred);
  Tensor p = y_pred / reduce_sum(y_pred, -1, /*keepdims=*/true);
  p = clip_by_value(p, kEpsilon, 1 - kEpsilon);
  return -reduce_sum(labels * log(p), -1);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred_in, bool from_logits,
                           double label_smoothing) {
  auto [labels, y_pred] = matching(y_true, y_pred_in, "binary_crossentropy");
  if (label_smoothing < 0 || label_smoothing > 1)
    throw InvalidArgumentError("binary_crossentropy: label_smoothing must be in [0, 1]");
  if (label_smoothing > 0) labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing;
  Tensor per_element;
  if (from_logits) {
    per_element = nn::sigmoid_cross_entropy_with_logits(labels, y_pred);
  } else {
    Tensor p = clip_by_value(y_pred, kEpsilon, 1 - kEpsilon);
    per_element = -(labels * log(p) + (1.0 - labels) * log(1.0 - p));
  }
  return reduce_mean(per_element, -1);
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = matching(y_true, y_pred, "mean_squared_error");
  return reduce_mean(square(p - t), -1);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = matching(y_true, y_pred, "mean_absolute_error");
  return reduce_mean(abs(p - t), -1);
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  if (!(delta > 0)) throw InvalidArgumentError("huber: delta must be positive");
  auto [t, p] = matching(y_true, y_pred, "huber");
  Tensor error = abs(p - t);
  Tensor quadratic = minimum(error, delta);
  Tensor linear = error - quadratic;
  return reduce_mean(0.5 * square(quadratic) + delta * linear, -1);
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred,
                        const Tensor& sample_weight) const {
  Tensor losses = call(y_true, y_pred);
  if (sample_weight.defined()) {
    Tensor w = cast(sample_weight, losses.dtype());
    // Keras squeezes a trailing 1 and broadcasts the weights to the per-sample losses.
    if (w.shape().rank() == losses.shape().rank() + 1 && w.shape()[w.shape().rank() - 1] == 1)
      w = squeeze(w, {w.shape().rank() - 1});
    losses = losses * w;
  }
  switch (reduction_) {
    case Reduction::kNone:
      return losses;
    case Reduction::kSum:
      return reduce_sum(losses);
    case Reduction::kSumOverBatchSize:
      return reduce_mean(losses);
  }
  return losses;
}

}  // namespace tf::keras::losses
