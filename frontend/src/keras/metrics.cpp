// Keras' metrics: a weighted running mean, and what each one averages.
#include "tfjit/keras/metrics.h"

#include "tfjit/creation.h"
#include "tfjit/keras/losses.h"
#include "tfjit/ops.h"

namespace tf::keras::metrics {

void Metric::reset_state() {
  for (Variable& v : variables()) v.assign(zeros_like(v.read_value()));
}

Mean::Mean(std::string name)
    : Metric(std::move(name)),
      total_(add_variable("total", constant(0.0f), false)),
      count_(add_variable("count", constant(0.0f), false)) {}

void Mean::update_state(const Tensor& values, const Tensor& sample_weight) {
  if (!values.defined()) throw InvalidArgumentError("metric '" + name() + "': null values");
  Tensor v = cast(values, float32);
  if (sample_weight.defined()) {
    Tensor w = cast(sample_weight, float32);
    if (w.shape().rank() > v.shape().rank()) w = reshape(w, v.shape().dims());
    w = broadcast_to(w, v.shape());
    total_.assign_add(reduce_sum(v * w));
    count_.assign_add(reduce_sum(w));
  } else {
    total_.assign_add(reduce_sum(v));
    count_.assign_add(constant(static_cast<float>(v.shape().num_elements())));
  }
}

void Mean::update_state(const Tensor&, const Tensor& y_pred, const Tensor& sample_weight) {
  update_state(y_pred, sample_weight);
}

Tensor Mean::result() const { return divide_no_nan(total_.read_value(), count_.read_value()); }

MeanMetricWrapper::MeanMetricWrapper(Fn fn, std::string name)
    : Metric(name), fn_(std::move(fn)), mean_(name) {
  add_module(mean_, "mean");
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred,
                                     const Tensor& sample_weight) {
  if (!y_true.defined() || !y_pred.defined())
    throw InvalidArgumentError("metric '" + name() + "': null tensor");
  mean_.update_state(fn_(y_true, y_pred), sample_weight);
}

namespace {
Tensor as_float(const Tensor& b) { return cast(b, float32); }
// Integer labels of shape (batch,) or (batch, 1).
Tensor sparse_labels(const Tensor& y_true, const Tensor& y_pred) {
  Tensor labels = y_true;
  const int64_t rank = y_pred.shape().rank();
  if (labels.shape().rank() == rank && labels.shape()[rank - 1] == 1)
    labels = squeeze(labels, {rank - 1});
  return cast(labels, int64);
}
}  // namespace

Tensor accuracy(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = losses::squeeze_or_expand_to_same_rank(y_true, y_pred);
  return as_float(equal(cast(t, p.dtype()), p));
}
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  auto [t, p] = losses::squeeze_or_expand_to_same_rank(y_true, y_pred);
  return as_float(equal(cast(t, float32), as_float(greater(p, threshold))));
}
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  return as_float(equal(argmax(y_true, -1), argmax(y_pred, -1)));
}
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  return as_float(equal(sparse_labels(y_true, y_pred), cast(argmax(y_pred, -1), int64)));
}

Accuracy::Accuracy(std::string name) : MeanMetricWrapper(metrics::accuracy, std::move(name)) {}
SparseCategoricalAccuracy::SparseCategoricalAccuracy(std::string name)
    : MeanMetricWrapper(metrics::sparse_categorical_accuracy, std::move(name)) {}
CategoricalAccuracy::CategoricalAccuracy(std::string name)
    : MeanMetricWrapper(metrics::categorical_accuracy, std::move(name)) {}
BinaryAccuracy::BinaryAccuracy(std::string name, double threshold)
    : MeanMetricWrapper(
          [threshold](const Tensor& t, const Tensor& p) {
            return metrics::binary_accuracy(t, p, threshold);
          },
          std::move(name)) {}

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(int64_t k, std::string name)
    : MeanMetricWrapper(
          [k](const Tensor& t, const Tensor& p) {
            return as_float(math::in_top_k(cast(sparse_labels(t, p), int32), p, k));
          },
          std::move(name)) {}

MeanSquaredError::MeanSquaredError(std::string name)
    : MeanMetricWrapper(losses::mean_squared_error, std::move(name)) {}
MeanAbsoluteError::MeanAbsoluteError(std::string name)
    : MeanMetricWrapper(losses::mean_absolute_error, std::move(name)) {}

namespace {
// Keras' thresholds: (i + 1) / (n - 1) for i < n - 2, with -eps and 1 + eps at the ends.
Tensor auc_thresholds(int64_t n) {
  if (n < 2) throw InvalidArgumentError("AUC: num_thresholds must be > 1");
  std::vector<float> t{-1e-7f};
  for (int64_t i = 0; i < n - 2; ++i)
    t.push_back(static_cast<float>(static_cast<double>(i + 1) / static_cast<double>(n - 1)));
  t.push_back(1.0f + 1e-7f);
  return constant(t, {n});
}
}  // namespace

AUC::AUC(int64_t num_thresholds, std::string name)
    : Metric(std::move(name)),
      thresholds_(auc_thresholds(num_thresholds)),
      tp_(add_variable("true_positives", zeros({num_thresholds}), false)),
      fp_(add_variable("false_positives", zeros({num_thresholds}), false)),
      tn_(add_variable("true_negatives", zeros({num_thresholds}), false)),
      fn_(add_variable("false_negatives", zeros({num_thresholds}), false)) {}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  if (!y_true.defined() || !y_pred.defined())
    throw InvalidArgumentError("metric '" + name() + "': null tensor");
  Tensor label = reshape(cast(y_true, float32), {-1, 1});
  Tensor pred = reshape(cast(y_pred, float32), {-1, 1});
  if (label.shape()[0] != pred.shape()[0])
    throw InvalidArgumentError("AUC: y_true " + y_true.shape().to_string() + " and y_pred " +
                               y_pred.shape().to_string() + " differ in size");
  Tensor w =
      sample_weight.defined() ? reshape(cast(sample_weight, float32), {-1, 1}) : ones_like(label);
  Tensor above = as_float(greater(pred, thresholds_));  // (samples, thresholds)
  Tensor below = 1.0f - above;
  tp_.assign_add(reduce_sum(above * label * w, 0));
  fp_.assign_add(reduce_sum(above * (1.0f - label) * w, 0));
  fn_.assign_add(reduce_sum(below * label * w, 0));
  tn_.assign_add(reduce_sum(below * (1.0f - label) * w, 0));
}

Tensor AUC::result() const {
  Tensor tp = tp_.read_value(), fp = fp_.read_value(), tn = tn_.read_value(), fn = fn_.read_value();
  Tensor recall = divide_no_nan(tp, tp + fn);
  Tensor fp_rate = divide_no_nan(fp, fp + tn);
  const int64_t n = tp.shape()[0];
  auto head = [&](const Tensor& x) { return x(slice(0, n - 1)); };
  auto tail = [&](const Tensor& x) { return x(slice(1, n)); };
  return reduce_sum((head(fp_rate) - tail(fp_rate)) * (head(recall) + tail(recall)) / 2.0f);
}

}  // namespace tf::keras::metrics
