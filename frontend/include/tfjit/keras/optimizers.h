// tf::keras::optimizers: Keras 3's optimizers, with Keras' update rules, defaults and slot names.
//
//   tf::keras::optimizers::Adam opt(1e-3);
//   opt.apply_gradients(tape.gradient(loss, vars), vars);
//
// All state (iterations, the learning rate, each variable's slots) lives in variables, so
// apply_gradients inside a tf::function compiles into the step, each variable's update fused into
// one pass. Slots are created on the first apply_gradients (eagerly, under tf::init_scope, also
// when that call is being traced). Copies of an optimizer share its state.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/module.h"
#include "tfjit/tensor.h"
#include "tfjit/variable.h"

TFJIT_API_BEGIN
namespace tf::keras::optimizers {

namespace schedules {
// A learning rate as a function of the step (the optimizer's iterations, counted from 0), made of
// tf:: ops so it is evaluated inside compiled steps.
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  // A float32 scalar for `step` (any real or integer scalar).
  virtual Tensor operator()(const Tensor& step) const = 0;
  Tensor operator()(int64_t step) const;
};
// initial * decay_rate ^ (step / decay_steps), the exponent floored if staircase.
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                   bool staircase = false);
  Tensor operator()(const Tensor& step) const override;
  using LearningRateSchedule::operator();

 private:
  double initial_, rate_;
  int64_t steps_;
  bool staircase_;
};
// initial / (1 + decay_rate * step / decay_steps), the ratio floored if staircase.
class InverseTimeDecay : public LearningRateSchedule {
 public:
  InverseTimeDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                   bool staircase = false);
  Tensor operator()(const Tensor& step) const override;
  using LearningRateSchedule::operator();

 private:
  double initial_, rate_;
  int64_t steps_;
  bool staircase_;
};
// values[i] while step <= boundaries[i] (values has one more entry than boundaries).
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values);
  Tensor operator()(const Tensor& step) const override;
  using LearningRateSchedule::operator();

 private:
  std::vector<int64_t> boundaries_;
  std::vector<double> values_;
};
// (initial - end) * (1 - min(step, decay_steps) / decay_steps) ^ power + end.
class PolynomialDecay : public LearningRateSchedule {
 public:
  PolynomialDecay(double initial_learning_rate, int64_t decay_steps,
                  double end_learning_rate = 1e-4, double power = 1.0);
  Tensor operator()(const Tensor& step) const override;
  using LearningRateSchedule::operator();

 private:
  double initial_, end_, power_;
  int64_t steps_;
};
// Optional linear warm-up from initial to warmup_target over warmup_steps, then a cosine from
// the peak (warmup_target, else initial) down to alpha * peak over decay_steps.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0.0,
              std::optional<double> warmup_target = std::nullopt, int64_t warmup_steps = 0);
  Tensor operator()(const Tensor& step) const override;
  using LearningRateSchedule::operator();

 private:
  double initial_, alpha_;
  std::optional<double> target_;
  int64_t steps_, warmup_;
};
}  // namespace schedules

// A fixed learning rate (kept in a variable, so LearningRateScheduler can change it without a
// retrace) or a schedule.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}
  template <class S>
  requires std::is_base_of_v<schedules::LearningRateSchedule, S> LearningRate(S schedule)
      : schedule_(std::make_shared<S>(std::move(schedule))) {}
  double value() const { return value_; }
  const std::shared_ptr<const schedules::LearningRateSchedule>& schedule() const {
    return schedule_;
  }

 private:
  double value_ = 0;
  std::shared_ptr<const schedules::LearningRateSchedule> schedule_;
};

// What every optimizer takes besides its own hyper-parameters (Keras' keyword names).
struct OptimizerOptions {
  std::optional<double> weight_decay = std::nullopt;  // decoupled: var -= var * wd * lr
  std::optional<double> clipnorm = std::nullopt;      // per gradient
  std::optional<double> clipvalue = std::nullopt;
  std::optional<double> global_clipnorm = std::nullopt;  // over all gradients together
  std::string name = "";
  // Keras' jit_compile: called eagerly, each variable's update (and constraint) runs as a
  // compiled function, one pass over the variable and its slots in place; variables of one shape
  // share its code. Inside a tf::function the update is part of the caller's graph either way.
  bool jit_compile = true;
};

namespace detail {
struct OptimizerState;
}

class Optimizer : public Module {
 public:
  // Keras' order: drop variables without a gradient (with TensorFlow's warning naming them),
  // clip, apply weight decay, update each variable, apply its constraint, increment iterations.
  // InvalidArgumentError if the lists differ in length, no gradient is given, or a gradient's
  // shape or dtype differs from its variable's.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars);
  void apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars);
  // Creates the slots of `vars` (apply_gradients does it when first given a variable).
  void build(const std::vector<Variable>& vars);

  Variable iterations() const;
  // The learning rate of the next update: the fixed one, or the schedule at iterations.
  Tensor learning_rate() const;
  // Replaces a fixed learning rate (FailedPreconditionError with a schedule).
  void set_learning_rate(double value);
  bool has_schedule() const;
  // Variables whose name contains one of these are not decayed (Keras'
  // exclude_from_weight_decay).
  void exclude_from_weight_decay(std::vector<std::string> var_names);
  // The slot `slot_name` ("momentum", "velocity", ...) of `var` (InvalidArgumentError if none).
  Variable get_slot(const Variable& var, std::string_view slot_name) const;
  // Slot names per variable, in the order they are created.
  std::vector<std::string> slot_names() const;

 protected:
  Optimizer(LearningRate learning_rate, OptimizerOptions options, std::string_view base);
  // This optimizer's slots for `var` (add_slot), and one update of `var` by `grad` at `lr`.
  virtual void build_variable(const Variable& var) = 0;
  virtual void update_step(const Tensor& grad, Variable& var, const Tensor& lr) = 0;
  // Before the variables' updates of one step (Nadam's running product).
  virtual void before_updates() {}
  // How Keras lays the slots out (for checkpoint interchange): groups of (slot, Keras list
  // attribute); Keras' _variables holds iterations, learning rate, then per group, per variable,
  // each slot of the group.
  using KerasSlotGroups = std::vector<std::vector<std::pair<std::string, std::string>>>;
  virtual KerasSlotGroups keras_slot_groups() const { return {}; }
  Variable add_slot(const Variable& var, const std::string& slot_name, double initial = 0);
  Variable slot(const Variable& var, const std::string& slot_name) const;
  // iterations + 1 as a float32 scalar: Adam-family bias corrections.
  Tensor local_step() const;
  detail::OptimizerState& optimizer_state() const;

 private:
  void set_keras_checkpoint_paths();
  // One variable's update then its constraint; compiled_update(var) is it as a tf::function.
  void update_and_constrain(const Tensor& grad, Variable& var, const Tensor& lr);
  std::function<void(const Tensor&, const Tensor&)> compiled_update(const Variable& var);
};

class SGD : public Optimizer {
 public:
  explicit SGD(LearningRate learning_rate = 0.01, double momentum = 0.0, bool nesterov = false,
               OptimizerOptions options = {});

 private:
  void build_variable(const Variable& var) override;
  void update_step(const Tensor& grad, Variable& var, const Tensor& lr) override;
  KerasSlotGroups keras_slot_groups() const override;
  double momentum_;
  bool nesterov_;
};

struct AdamOptions {
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  bool amsgrad = false;
};
class Adam : public Optimizer {
 public:
  explicit Adam(LearningRate learning_rate = 0.001, AdamOptions adam = {},
                OptimizerOptions options = {});

 protected:
  Adam(LearningRate learning_rate, AdamOptions adam, OptimizerOptions options,
       std::string_view base);

 private:
  void build_variable(const Variable& var) override;
  void update_step(const Tensor& grad, Variable& var, const Tensor& lr) override;
  KerasSlotGroups keras_slot_groups() const override;
  AdamOptions adam_;
};
// Adam with decoupled weight decay (default 0.004, as Keras).
class AdamW : public Adam {
 public:
  explicit AdamW(LearningRate learning_rate = 0.001, double weight_decay = 0.004,
                 AdamOptions adam = {}, OptimizerOptions options = {});
};

class Nadam : public Optimizer {
 public:
  explicit Nadam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999,
                 double epsilon = 1e-7, OptimizerOptions options = {});

 private:
  void build_variable(const Variable& var) override;
  void before_updates() override;
  void update_step(const Tensor& grad, Variable& var, const Tensor& lr) override;
  KerasSlotGroups keras_slot_groups() const override;
  double beta_1_, beta_2_, epsilon_;
  Variable u_product_;
};

struct RMSpropOptions {
  double rho = 0.9, momentum = 0.0, epsilon = 1e-7;
  bool centered = false;
};
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(LearningRate learning_rate = 0.001, RMSpropOptions rmsprop = {},
                   OptimizerOptions options = {});

 private:
  void build_variable(const Variable& var) override;
  void update_step(const Tensor& grad, Variable& var, const Tensor& lr) override;
  KerasSlotGroups keras_slot_groups() const override;
  RMSpropOptions rmsprop_;
};

class Adagrad : public Optimizer {
 public:
  explicit Adagrad(LearningRate learning_rate = 0.001, double initial_accumulator_value = 0.1,
                   double epsilon = 1e-7, OptimizerOptions options = {});

 private:
  void build_variable(const Variable& var) override;
  void update_step(const Tensor& grad, Variable& var, const Tensor& lr) override;
  KerasSlotGroups keras_slot_groups() const override;
  double initial_, epsilon_;
};

}  // namespace tf::keras::optimizers
TFJIT_API_END
