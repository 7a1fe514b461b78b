// Keras' learning-rate schedules: tf:: ops of the step, so a compiled step evaluates them.
#include <cmath>
#include <numbers>

#include "tfjit/creation.h"
#include "tfjit/keras/optimizers.h"
#include "tfjit/ops.h"

namespace tf::keras::optimizers::schedules {

namespace {
Tensor as_step(const Tensor& step) {
  if (step.shape().rank() != 0 || !is_numeric(step.dtype()))
    throw InvalidArgumentError("learning-rate schedule: the step must be a real scalar, got " +
                               step.shape().to_string() + " " +
                               std::string(dtype_name(step.dtype())));
  return cast(step, float32);
}
void check_steps(int64_t steps, const char* schedule) {
  if (steps <= 0)
    throw InvalidArgumentError(std::string(schedule) + ": decay_steps must be positive, got " +
                               std::to_string(steps));
}
}  // namespace

Tensor LearningRateSchedule::operator()(int64_t step) const { return (*this)(constant(step)); }

ExponentialDecay::ExponentialDecay(double initial, int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_(initial), rate_(decay_rate), steps_(decay_steps), staircase_(staircase) {
  check_steps(decay_steps, "ExponentialDecay");
}
Tensor ExponentialDecay::operator()(const Tensor& step) const {
  Tensor p = as_step(step) / static_cast<double>(steps_);
  if (staircase_) p = floor(p);
  return initial_ * pow(static_cast<float>(rate_), p);
}

InverseTimeDecay::InverseTimeDecay(double initial, int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_(initial), rate_(decay_rate), steps_(decay_steps), staircase_(staircase) {
  check_steps(decay_steps, "InverseTimeDecay");
}
Tensor InverseTimeDecay::operator()(const Tensor& step) const {
  Tensor p = as_step(step) / static_cast<double>(steps_);
  if (staircase_) p = floor(p);
  return initial_ / (1.0 + rate_ * p);
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<int64_t> boundaries,
                                               std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (values_.size() != boundaries_.size() + 1)
    throw InvalidArgumentError("PiecewiseConstantDecay: values must have one more entry (" +
                               std::to_string(values_.size()) + ") than boundaries (" +
                               std::to_string(boundaries_.size()) + ")");
  for (size_t i = 1; i < boundaries_.size(); ++i)
    if (boundaries_[i] <= boundaries_[i - 1])
      throw InvalidArgumentError("PiecewiseConstantDecay: boundaries must increase");
}
Tensor PiecewiseConstantDecay::operator()(const Tensor& step) const {
  Tensor s = as_step(step);
  Tensor lr = constant(static_cast<float>(values_.back()));
  for (size_t i = boundaries_.size(); i-- > 0;)
    lr = where(less_equal(s, static_cast<double>(boundaries_[i])),
               constant(static_cast<float>(values_[i])), lr);
  return lr;
}

PolynomialDecay::PolynomialDecay(double initial, int64_t decay_steps, double end, double power)
    : initial_(initial), end_(end), power_(power), steps_(decay_steps) {
  check_steps(decay_steps, "PolynomialDecay");
}
Tensor PolynomialDecay::operator()(const Tensor& step) const {
  Tensor s = minimum(as_step(step), static_cast<double>(steps_));
  return (initial_ - end_) * pow(1.0 - s / static_cast<double>(steps_), power_) + end_;
}

CosineDecay::CosineDecay(double initial, int64_t decay_steps, double alpha,
                         std::optional<double> warmup_target, int64_t warmup_steps)
    : initial_(initial),
      alpha_(alpha),
      target_(warmup_target),
      steps_(decay_steps),
      warmup_(warmup_steps) {
  check_steps(decay_steps, "CosineDecay");
  if (warmup_steps < 0) throw InvalidArgumentError("CosineDecay: warmup_steps must be >= 0");
}
Tensor CosineDecay::operator()(const Tensor& step) const {
  Tensor s = as_step(step);
  const double peak = target_ ? *target_ : initial_;
  // Keras: after the warm-up (only with a warmup_target), a cosine over decay_steps from the
  // peak to alpha * peak.
  const double warmup = target_ ? static_cast<double>(warmup_) : 0.0;
  Tensor t =
      minimum(maximum(s - warmup, 0.0), static_cast<double>(steps_)) / static_cast<double>(steps_);
  Tensor cosine = 0.5 * (1.0 + cos(std::numbers::pi * t));
  Tensor decayed = peak * ((1.0 - alpha_) * cosine + alpha_);
  if (!target_ || warmup_ == 0) return decayed;
  Tensor warm = initial_ + (peak - initial_) * (s / static_cast<double>(warmup_));
  return where(less(s, static_cast<double>(warmup_)), warm, decayed);
}

}  // namespace tf::keras::optimizers::schedules
