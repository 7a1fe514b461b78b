// tf::keras::losses: Keras' losses as objects (reduction, sample weights) and functions (one
// value per sample). Numerically stable forms (tf::nn's fused cross-entropies for logits).
//
//   tf::keras::losses::SparseCategoricalCrossentropy loss_fn(/*from_logits=*/true);
//   tf::Tensor loss = loss_fn(labels, logits);   // mean over the batch
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "tfjit/export.h"
#include "tfjit/tensor.h"

TFJIT_API_BEGIN
namespace tf::keras::losses {

// Keras' reductions: "sum_over_batch_size" (sum / number of loss values: the default), "sum",
// "mean" (the same as sum_over_batch_size without sample weights), "none".
enum class Reduction { kSumOverBatchSize, kSum, kNone };

class Loss {
 public:
  virtual ~Loss() = default;
  // The reduced loss. sample_weight (optional) broadcasts against the per-sample losses.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = Tensor()) const;
  // One loss value per sample (the last axis reduced).
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  virtual std::shared_ptr<Loss> clone() const = 0;
  const std::string& name() const { return name_; }
  Reduction reduction() const { return reduction_; }

 protected:
  Loss(std::string name, Reduction reduction) : name_(std::move(name)), reduction_(reduction) {}

 private:
  std::string name_;
  Reduction reduction_;
};

// Keras' pairing of labels with predictions: a trailing dim of 1 on one side squeezed, or added
// to a rank-1 other side (labels (N,) against a Dense(1) output (N, 1) become (N, 1)).
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& a, const Tensor& b);

// --- Per-sample functions ---
// Integer labels (shape of y_pred without its last axis, or with a last axis of 1).
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       bool from_logits = false);
// One-hot (or soft) labels; label_smoothing mixes them with the uniform distribution.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                bool from_logits = false, double label_smoothing = 0.0);
// Mean over the last axis; label_smoothing pulls labels towards 0.5.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0);
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);

// --- Objects ---
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false,
                                         Reduction reduction = Reduction::kSumOverBatchSize)
      : Loss("sparse_categorical_crossentropy", reduction), from_logits_(from_logits) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return sparse_categorical_crossentropy(y_true, y_pred, from_logits_);
  }
  std::shared_ptr<Loss> clone() const override {
    return std::make_shared<SparseCategoricalCrossentropy>(*this);
  }

 private:
  bool from_logits_;
};
class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0.0,
                                   Reduction reduction = Reduction::kSumOverBatchSize)
      : Loss("categorical_crossentropy", reduction),
        from_logits_(from_logits),
        smoothing_(label_smoothing) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return categorical_crossentropy(y_true, y_pred, from_logits_, smoothing_);
  }
  std::shared_ptr<Loss> clone() const override {
    return std::make_shared<CategoricalCrossentropy>(*this);
  }

 private:
  bool from_logits_;
  double smoothing_;
};
class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0.0,
                              Reduction reduction = Reduction::kSumOverBatchSize)
      : Loss("binary_crossentropy", reduction),
        from_logits_(from_logits),
        smoothing_(label_smoothing) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return binary_crossentropy(y_true, y_pred, from_logits_, smoothing_);
  }
  std::shared_ptr<Loss> clone() const override {
    return std::make_shared<BinaryCrossentropy>(*this);
  }

 private:
  bool from_logits_;
  double smoothing_;
};
class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(Reduction reduction = Reduction::kSumOverBatchSize)
      : Loss("mean_squared_error", reduction) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return mean_squared_error(y_true, y_pred);
  }
  std::shared_ptr<Loss> clone() const override { return std::make_shared<MeanSquaredError>(*this); }
};
class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(Reduction reduction = Reduction::kSumOverBatchSize)
      : Loss("mean_absolute_error", reduction) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return mean_absolute_error(y_true, y_pred);
  }
  std::shared_ptr<Loss> clone() const override {
    return std::make_shared<MeanAbsoluteError>(*this);
  }
};
class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0, Reduction reduction = Reduction::kSumOverBatchSize)
      : Loss("huber_loss", reduction), delta_(delta) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return huber(y_true, y_pred, delta_);
  }
  std::shared_ptr<Loss> clone() const override { return std::make_shared<Huber>(*this); }

 private:
  double delta_;
};

}  // namespace tf::keras::losses
TFJIT_API_END
