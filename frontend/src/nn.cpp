// tf.nn's composites: activations with parameters, losses, normalisation, dropout and
// embeddings, each one function of public ops (so each traces, compiles and differentiates).
// The cross-entropies have fused gradients (softmax - labels, sigmoid - labels), as TensorFlow's
// kernels do.
#include <cmath>

#include "frontend/src/data_format.h"
#include "frontend/src/op_helpers.h"
#include "frontend/src/placement.h"
#include "frontend/src/trace.h"
#include "tfjit/creation.h"
#include "tfjit/distribute.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/nn.h"
#include "tfjit/ops.h"

namespace tf {

void detail::check_class_ids(const std::string& op, const Tensor& ids, int64_t n,
                             std::string_view what, bool allow_negative) {
  const std::string message = op + ": " + std::string(what) + " is " +
                              (allow_negative ? "not below " + std::to_string(n)
                                              : "outside [0, " + std::to_string(n) + ")") +
                              ", in ids of shape " + ids.shape().to_string();
  if (auto* trace = TraceContext::current(); trace && ids.impl()->trace) {
    Tensor bad = greater_equal(ids, fill({}, static_cast<double>(n), ids.dtype()));
    if (!allow_negative) bad = logical_or(bad, less(ids, zeros({}, ids.dtype())));
    trace->emit_effect("fail_if", {reduce_any(bad)}, {{"message", message}});
    return;
  }
  // Known now (eagerly, or a trace's captured constant): checked on the host.
  std::vector<int64_t> values(static_cast<size_t>(ids.num_elements()));
  cpu_kernels().get<rt::CastKernel>(ops::Primitive::cast, ids.dtype(), int64)(
      to_cpu(ids).data(), values.data(), ids.num_elements());
  for (int64_t v : values)
    if (v >= n || (v < 0 && !allow_negative)) throw InvalidArgumentError(message);
}

namespace nn {

using detail::checked;

namespace {

void check_float(const std::string& op, const Tensor& t, const char* name) {
  checked(t, op, name);
  detail::check_dtype(op, t.dtype(), core::kFloat);
}

void check_same_shape(const std::string& op, const Tensor& labels, const Tensor& logits) {
  detail::check_same_dtype(op, labels, logits);
  if (!core::match_shape(labels.shape(), logits.shape()).empty() &&
      !core::match_shape(logits.shape(), labels.shape()).empty())
    throw InvalidArgumentError(op + ": labels " + labels.shape().to_string() + " and logits " +
                               logits.shape().to_string() + " must have the same shape");
}

}  // namespace

Tensor leaky_relu(const Tensor& features, double alpha) {
  check_float("leaky_relu", features, "features");
  return where(features > 0.0, features, features * alpha);
}

Tensor gelu(const Tensor& features, bool approximate) {
  return approximate ? gelu_tanh(features) : tf::gelu(features);
}

Tensor swish(const Tensor& features, double beta) {
  check_float("swish", features, "features");
  return beta == 1.0 ? silu(features) : features * sigmoid(features * beta);
}

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, int64_t axis) {
  const std::string op = "softmax_cross_entropy_with_logits";
  check_float(op, logits, "logits");
  checked(labels, op, "labels");
  check_same_shape(op, labels, logits);
  return detail::custom_gradient_call(
      {labels, logits}, [&] { return -reduce_sum(labels * log_softmax(logits, axis), axis); },
      [labels, logits, axis](const Tensor& g) {
        Tensor ge = expand_dims(g, axis);
        Tensor log_p = log_softmax(logits, axis);
        // d/dlogits = softmax * sum(labels) - labels (sum(labels) = 1 for distributions).
        return std::vector<Tensor>{
            -ge * log_p, ge * (exp(log_p) * reduce_sum(labels, axis, /*keepdims=*/true) - labels)};
      });
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  const std::string op = "sparse_softmax_cross_entropy_with_logits";
  check_float(op, logits, "logits");
  checked(labels, op, "labels");
  detail::check_dtype(op, labels.dtype(), core::DTypeSet{int32, int64});
  if (logits.ndim() < 1 || labels.ndim() != logits.ndim() - 1)
    throw InvalidArgumentError(op + ": labels " + labels.shape().to_string() +
                               " must have the rank of logits " + logits.shape().to_string() +
                               " minus 1 (one label per row of classes)");
  detail::require_known_dim(op, logits, logits.ndim() - 1, "the class dimension");
  const int64_t classes = logits.shape()[logits.ndim() - 1];
  detail::check_class_ids(op, labels, classes, "a label");
  Tensor hot = one_hot(labels, classes, 1, 0, logits.dtype());
  return softmax_cross_entropy_with_logits(stop_gradient(hot), logits);
}

Tensor sigmoid_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  const std::string op = "sigmoid_cross_entropy_with_logits";
  check_float(op, logits, "logits");
  checked(labels, op, "labels");
  check_same_shape(op, labels, logits);
  return detail::custom_gradient_call(
      {labels, logits}, [&] { return relu(logits) - logits * labels + log1p(exp(-abs(logits))); },
      [labels, logits](const Tensor& g) {
        return std::vector<Tensor>{-g * logits, g * (sigmoid(logits) - labels)};
      });
}

Tensor weighted_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                          double pos_weight) {
  const std::string op = "weighted_cross_entropy_with_logits";
  check_float(op, logits, "logits");
  checked(labels, op, "labels");
  check_same_shape(op, labels, logits);
  // (1 - z) x + (1 + (q - 1) z) (log(1 + exp(-|x|)) + max(-x, 0)).
  Tensor weight = labels * (pos_weight - 1) + 1.0;
  return (1.0 - labels) * logits + weight * (log1p(exp(-abs(logits))) + relu(-logits));
}

Tensor log_poisson_loss(const Tensor& targets, const Tensor& log_input, bool compute_full_loss) {
  const std::string op = "log_poisson_loss";
  check_float(op, log_input, "log_input");
  checked(targets, op, "targets");
  check_same_shape(op, targets, log_input);
  Tensor loss = exp(log_input) - targets * log_input;
  if (!compute_full_loss) return loss;
  // Stirling: z log z - z + log(2 pi z) / 2, for z > 1 (0 otherwise).
  Tensor stirling = xlogy(targets, targets) - targets + log(targets * (2 * M_PI)) * 0.5;
  return loss + where(targets > 1.0, stirling, zeros_like(targets));
}

Tensor l2_loss(const Tensor& t) {
  check_float("l2_loss", t, "t");
  return reduce_sum(square(t)) * 0.5;
}

Tensor compute_average_loss(const Tensor& per_example_loss,
                            std::optional<int64_t> global_batch_size, const Tensor& sample_weight) {
  const std::string op = "compute_average_loss";
  check_float(op, per_example_loss, "per_example_loss");
  if (global_batch_size && *global_batch_size <= 0)
    throw InvalidArgumentError(op + ": global_batch_size must be positive, got " +
                               std::to_string(*global_batch_size));
  Tensor loss = per_example_loss;
  if (sample_weight.defined()) loss = loss * cast(sample_weight, loss.dtype());
  const int64_t global =
      global_batch_size.value_or((loss.ndim() > 0 ? loss.shape()[0] : 1) *
                                 distribute::get_replica_context().num_replicas_in_sync());
  return reduce_sum(loss) /
         fill({}, static_cast<double>(std::max<int64_t>(global, 1)), loss.dtype());
}

Moments moments(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  check_float("moments", x, "x");
  Tensor mean = reduce_mean(x, axes, /*keepdims=*/true);
  // The mean's gradient through the variance is zero (the deviations sum to 0): TensorFlow
  // stops it, which saves the work.
  Tensor variance = reduce_mean(squared_difference(x, stop_gradient(mean)), axes, keepdims);
  return {keepdims ? mean : squeeze(mean, axes), variance};
}

Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const Tensor& offset, const Tensor& scale, double variance_epsilon) {
  const std::string op = "batch_normalization";
  check_float(op, x, "x");
  checked(mean, op, "mean");
  checked(variance, op, "variance");
  Tensor inv = rsqrt(variance + variance_epsilon);
  if (scale.defined()) inv = inv * scale;
  return x * inv + (offset.defined() ? offset - mean * inv : -mean * inv);
}

FusedBatchNorm fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                const Tensor& mean, const Tensor& variance, double epsilon,
                                double exponential_avg_factor, std::string_view data_format,
                                bool is_training) {
  const std::string op = "fused_batch_norm";
  check_float(op, x, "x");
  checked(scale, op, "scale");
  checked(offset, op, "offset");
  if (x.ndim() < 2)
    throw InvalidArgumentError(op + ": x must have a batch and a channel dim, got " +
                               x.shape().to_string());
  const bool first = detail::channels_first(op, data_format, x.ndim());
  const int64_t channel_axis = first ? 1 : x.ndim() - 1;
  const int64_t channels = x.shape()[channel_axis];
  for (const Tensor* t : {&scale, &offset, &mean, &variance})
    if (t->defined() && (t->ndim() != 1 || t->shape()[0] != channels))
      throw InvalidArgumentError(op + ": scale, offset, mean and variance must have shape (" +
                                 std::to_string(channels) + ",) for x " + x.shape().to_string() +
                                 ", got " + t->shape().to_string());
  std::vector<int64_t> axes, shape(static_cast<size_t>(x.ndim()), 1);
  for (int64_t d = 0; d < x.ndim(); ++d)
    if (d != channel_axis) axes.push_back(d);
  shape[static_cast<size_t>(channel_axis)] = channels;
  auto per_channel = [&](const Tensor& t) { return reshape(t, shape); };
  Tensor m = mean, v = variance;
  if (is_training) {
    Moments batch = moments(x, axes);
    m = batch.mean;
    v = batch.variance;
  } else if (!mean.defined() || !variance.defined()) {
    throw InvalidArgumentError(op + ": inference (is_training false) needs mean and variance");
  }
  Tensor y = batch_normalization(x, per_channel(m), per_channel(v), per_channel(offset),
                                 per_channel(scale), epsilon);
  if (!is_training) return {y, mean, variance};
  // Bessel's correction by the count of reduced elements: known while tracing, or read from the
  // run-time shape where a reduced dim is unknown.
  int64_t count = 1;
  bool known = true;
  for (int64_t d : axes) {
    known &= x.shape()[d] != kUnknownDim;
    if (known) count *= x.shape()[d];
  }
  Tensor unbiased;
  if (known) {
    unbiased = count > 1 ? v * (static_cast<double>(count) / static_cast<double>(count - 1)) : v;
  } else {
    Tensor dims = tf::shape(x);
    Tensor n = cast(dims[axes[0]], v.dtype());
    for (size_t i = 1; i < axes.size(); ++i) n = n * cast(dims[axes[i]], v.dtype());
    unbiased = where(n > 1.0, v * n / maximum(n - 1.0, 1.0), v);
  }
  if (exponential_avg_factor != 1.0 && mean.defined() && variance.defined()) {
    const double f = exponential_avg_factor;
    m = mean * (1 - f) + m * f;
    unbiased = variance * (1 - f) + unbiased * f;
  }
  return {y, m, unbiased};
}

Tensor l2_normalize(const Tensor& x, Axes axis, double epsilon) {
  check_float("l2_normalize", x, "x");
  Tensor sum = reduce_sum(square(x), axis, /*keepdims=*/true);
  return x * rsqrt(maximum(sum, fill({}, epsilon, x.dtype())));
}

Tensor dropout(const Tensor& x, double rate, const std::vector<int64_t>& noise_shape,
               std::optional<uint64_t> seed) {
  const std::string op = "dropout";
  check_float(op, x, "x");
  if (!(rate >= 0 && rate < 1))
    throw InvalidArgumentError(op + ": rate must be in [0, 1), got " + std::to_string(rate));
  if (rate == 0) return x;
  TensorShape shape = noise_shape.empty() ? x.shape() : TensorShape(noise_shape);
  if (!noise_shape.empty() && !core::broadcastable_to(shape, x.shape()))
    throw InvalidArgumentError(op + ": noise_shape " + shape.to_string() +
                               " does not broadcast to x's shape " + x.shape().to_string());
  Tensor keep = (noise_shape.empty() && !shape.is_fully_defined()
                     ? detail::uniform_like("dropout", x, x.dtype(), seed)
                     : random::uniform(shape, 0, 1, x.dtype(), seed)) >= rate;
  return where(keep, x * (1.0 / (1.0 - rate)), zeros_like(x));
}

Tensor embedding_lookup(const Tensor& params, const Tensor& ids) { return gather(params, ids, 0); }

}  // namespace nn

}  // namespace tf
