// tf::keras::metrics: stateful metrics (their state in variables, so update_state compiles into
// a traced step), with update_state / result / reset_state as Keras.
//
//   tf::keras::metrics::SparseCategoricalAccuracy acc;
//   acc.update_state(labels, logits);   // per batch
//   acc.result().item<float>();         // over every batch since reset_state()
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "tfjit/export.h"
#include "tfjit/module.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf::keras::metrics {

class Metric : public Module {
 public:
  // Accumulates a batch. sample_weight (optional) weighs each sample's value.
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred,
                            const Tensor& sample_weight = Tensor()) = 0;
  virtual Tensor result() const = 0;
  virtual void reset_state();  // every state variable back to zero
  virtual std::shared_ptr<Metric> clone() const = 0;

 protected:
  explicit Metric(std::string name) : Module(std::move(name)) {}
};

// The weighted mean of the values given (Keras' Mean; also what fit reports the loss with).
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean");
  void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
  // As a prediction metric: the mean of y_pred (y_true unused).
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight) override;
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<Mean>(*this); }

 private:
  Variable total_, count_;
};

// The mean over samples of fn(y_true, y_pred) (Keras' MeanMetricWrapper).
class MeanMetricWrapper : public Metric {
 public:
  using Fn = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;
  MeanMetricWrapper(Fn fn, std::string name);
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = Tensor()) override;
  Tensor result() const override { return mean_.result(); }
  void reset_state() override { mean_.reset_state(); }
  std::shared_ptr<Metric> clone() const override {
    return std::make_shared<MeanMetricWrapper>(*this);
  }

 private:
  Fn fn_;
  Mean mean_;
};

// Per-sample values the accuracy metrics average (Keras' functions of the same names); labels
// and predictions are paired as the losses pair them (a trailing dim of 1 squeezed or added).
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);

// Exact equality of labels and predictions.
class Accuracy : public MeanMetricWrapper {
 public:
  explicit Accuracy(std::string name = "accuracy");
};
// Integer labels against the argmax of class scores.
class SparseCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy");
};
// One-hot labels against the argmax of class scores.
class CategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy");
};
// 0/1 labels against predictions above `threshold`.
class BinaryAccuracy : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5);
};
// Whether the label is among the k highest class scores (integer labels).
class SparseTopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseTopKCategoricalAccuracy(int64_t k = 5,
                                         std::string name = "sparse_top_k_categorical_accuracy");
};
class MeanSquaredError : public MeanMetricWrapper {
 public:
  explicit MeanSquaredError(std::string name = "mean_squared_error");
};
class MeanAbsoluteError : public MeanMetricWrapper {
 public:
  explicit MeanAbsoluteError(std::string name = "mean_absolute_error");
};

// Area under the ROC curve for 0/1 labels and scores in [0, 1], from confusion counts at
// num_thresholds thresholds, summed as Keras' default ("interpolation": trapezoids).
class AUC : public Metric {
 public:
  explicit AUC(int64_t num_thresholds = 200, std::string name = "auc");
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = Tensor()) override;
  Tensor result() const override;
  std::shared_ptr<Metric> clone() const override { return std::make_shared<AUC>(*this); }

 private:
  Tensor thresholds_;
  Variable tp_, fp_, tn_, fn_;
};

}  // namespace tf::keras::metrics
TFJIT_API_END
