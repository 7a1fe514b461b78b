// Keras 3's optimizers. The shared part (clipping, weight decay, slots, iterations) is written
// once in Optimizer::apply_gradients; each optimizer is its slots and its update rule, in tf::
// ops, so a traced step fuses each variable's update.
#include "tfjit/keras/optimizers.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <mutex>
#include <utility>

#include "frontend/src/module_state.h"
#include "tfjit/creation.h"
#include "tfjit/function.h"
#include "tfjit/keras/layer.h"
#include "tfjit/ops.h"

namespace tf::keras::optimizers {

namespace detail {
struct OptimizerState : tf::detail::ModuleState {
  std::optional<Variable> iterations, learning_rate;  // learning_rate: unless a schedule
  std::shared_ptr<const schedules::LearningRateSchedule> schedule;
  OptimizerOptions options;
  std::vector<std::string> exclude_from_decay;
  std::vector<Variable> built;  // in the order slots were made for them
  std::vector<std::string> slot_names;
  // Per variable (keyed by its state, kept alive by the entry): slot name -> slot.
  struct Slots {
    Variable variable;
    std::vector<std::pair<std::string, Variable>> slots;
    // Its update as a tf::function (jit_compile), built at the first eager step.
    std::function<void(const Tensor&, const Tensor&)> compiled;
  };
  std::map<const void*, Slots> slots;
  std::mutex compiled_mutex;  // threads stepping copies of one optimizer share `compiled`
};

// The optimizer whose compiled update is being called on this thread. Copies of an optimizer
// share its state, and so its compiled updates: the body, run while tracing (or each call when
// functions run eagerly), updates through whichever copy calls, never a copy since destroyed.
thread_local Optimizer* calling = nullptr;
}  // namespace detail

namespace {
void check_positive(std::optional<double> v, const char* what) {
  if (v && !(*v > 0))
    throw InvalidArgumentError(std::string("optimizer: ") + what + " must be positive, got " +
                               std::to_string(*v));
}
// Keras' slot names: the variable's path with '/' as '_', then the slot's name.
std::string slot_variable_name(const Variable& var, const std::string& slot) {
  std::string path = var.name();
  for (char& c : path)
    if (c == '/') c = '_';
  return path + "_" + slot;
}
}  // namespace

Optimizer::Optimizer(LearningRate learning_rate, OptimizerOptions options, std::string_view base)
    : Module(std::make_shared<detail::OptimizerState>()) {
  auto& s = optimizer_state();
  s.name = options.name.empty() ? std::string(base) : options.name;
  check_positive(options.clipnorm, "clipnorm");
  check_positive(options.clipvalue, "clipvalue");
  check_positive(options.global_clipnorm, "global_clipnorm");
  if (int(bool(options.clipnorm)) + bool(options.clipvalue) + bool(options.global_clipnorm) > 1)
    throw InvalidArgumentError(
        "optimizer: only one of clipnorm, clipvalue and global_clipnorm can be set");
  if (options.weight_decay && !(*options.weight_decay >= 0))
    throw InvalidArgumentError("optimizer: weight_decay must be >= 0");
  s.options = std::move(options);
  init_scope eager;
  s.iterations = add_variable("iterations", constant(int64_t{0}), false);
  if (learning_rate.schedule()) {
    s.schedule = learning_rate.schedule();
  } else {
    if (!(learning_rate.value() >= 0) || !std::isfinite(learning_rate.value()))
      throw InvalidArgumentError("optimizer: learning_rate must be finite and >= 0, got " +
                                 std::to_string(learning_rate.value()));
    s.learning_rate =
        add_variable("learning_rate", constant(static_cast<float>(learning_rate.value())), false);
  }
}

detail::OptimizerState& Optimizer::optimizer_state() const {
  return static_cast<detail::OptimizerState&>(*state_);
}

Variable Optimizer::iterations() const { return *optimizer_state().iterations; }

Tensor Optimizer::learning_rate() const {
  auto& s = optimizer_state();
  if (s.schedule) return (*s.schedule)(s.iterations->read_value());
  return s.learning_rate->read_value();
}

void Optimizer::set_learning_rate(double value) {
  auto& s = optimizer_state();
  if (s.schedule)
    throw FailedPreconditionError("optimizer '" + name() +
                                  "': its learning rate is a schedule and cannot be set");
  if (!(value >= 0) || !std::isfinite(value))
    throw InvalidArgumentError("optimizer: learning_rate must be finite and >= 0");
  s.learning_rate->assign(constant(static_cast<float>(value)));
}

bool Optimizer::has_schedule() const { return optimizer_state().schedule != nullptr; }

void Optimizer::exclude_from_weight_decay(std::vector<std::string> var_names) {
  optimizer_state().exclude_from_decay = std::move(var_names);
}

Tensor Optimizer::local_step() const {
  return cast(iterations().read_value() + int64_t{1}, float32);
}

Variable Optimizer::add_slot(const Variable& var, const std::string& slot_name, double initial) {
  auto& s = optimizer_state();
  auto& entry = s.slots.try_emplace(var.impl().get(), detail::OptimizerState::Slots{var, {}, {}})
                    .first->second;
  // Keras' name, made unique if two variables share a name.
  std::string attribute = slot_variable_name(var, slot_name);
  auto taken = [&](const std::string& a) {
    return std::ranges::any_of(s.variables, [&](const auto& e) { return e.first == a; });
  };
  for (int n = 1; taken(attribute); ++n)
    attribute = slot_variable_name(var, slot_name) + "_" + std::to_string(n);
  Variable slot = add_variable(attribute, fill(var.shape(), initial, var.dtype()), false);
  entry.slots.emplace_back(slot_name, slot);
  if (std::find(s.slot_names.begin(), s.slot_names.end(), slot_name) == s.slot_names.end())
    s.slot_names.push_back(slot_name);
  return slot;
}

Variable Optimizer::slot(const Variable& var, const std::string& slot_name) const {
  return get_slot(var, slot_name);
}

Variable Optimizer::get_slot(const Variable& var, std::string_view slot_name) const {
  auto& s = optimizer_state();
  auto it = s.slots.find(var.impl().get());
  if (it != s.slots.end())
    for (const auto& [name, slot] : it->second.slots)
      if (name == slot_name) return slot;
  throw InvalidArgumentError("optimizer '" + name() + "' has no slot '" + std::string(slot_name) +
                             "' for variable '" + var.name() + "'");
}

std::vector<std::string> Optimizer::slot_names() const { return optimizer_state().slot_names; }

void Optimizer::build(const std::vector<Variable>& vars) {
  auto& s = optimizer_state();
  for (const Variable& v : vars) {
    if (s.slots.count(v.impl().get())) continue;
    if (!is_floating(v.dtype()))
      throw InvalidArgumentError("optimizer '" + name() + "': variable '" + v.name() +
                                 "' has dtype " + std::string(dtype_name(v.dtype())) +
                                 "; only floating-point variables can be trained");
    s.slots.try_emplace(v.impl().get(), detail::OptimizerState::Slots{v, {}, {}});
    s.built.push_back(v);
    build_variable(v);
  }
  set_keras_checkpoint_paths();
}

void Optimizer::set_keras_checkpoint_paths() {
  auto& s = optimizer_state();
  int64_t k = 0;
  auto next = [&] { return "_variables/" + std::to_string(k++); };
  auto attribute_of = [&](const Variable& slot) {
    for (const auto& [attribute, v] : s.variables)
      if (v.impl() == slot.impl()) return attribute;
    throw InternalError("optimizer '" + name() + "': an untracked slot");
  };
  set_checkpoint_paths("iterations", {"_iterations", next()});
  if (!s.schedule) set_checkpoint_paths("learning_rate", {"_learning_rate", next()});
  for (const auto& group : keras_slot_groups())
    for (size_t i = 0; i < s.built.size(); ++i)
      for (const auto& [slot, list] : group)
        set_checkpoint_paths(attribute_of(get_slot(s.built[i], slot)),
                             {next(), list + "/" + std::to_string(i)});
}

void Optimizer::apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars) {
  std::vector<Tensor> grads;
  std::vector<Variable> vars;
  for (const auto& [g, v] : grads_and_vars) {
    grads.push_back(g);
    vars.push_back(v);
  }
  apply_gradients(grads, vars);
}

void Optimizer::apply_gradients(const std::vector<Tensor>& all_grads,
                                const std::vector<Variable>& all_vars) {
  auto& s = optimizer_state();
  if (all_grads.size() != all_vars.size())
    throw InvalidArgumentError("optimizer '" + name() +
                               "'.apply_gradients: " + std::to_string(all_grads.size()) +
                               " gradients for " + std::to_string(all_vars.size()) + " variables");
  if (all_grads.empty()) return;
  std::vector<Tensor> grads;
  std::vector<Variable> vars;
  std::string missing;
  for (size_t i = 0; i < all_grads.size(); ++i) {
    if (!all_grads[i].defined()) {
      missing += (missing.empty() ? "'" : ", '") + all_vars[i].name() + "'";
      continue;
    }
    if (all_grads[i].shape() != all_vars[i].shape() || all_grads[i].dtype() != all_vars[i].dtype())
      throw InvalidArgumentError("optimizer '" + name() + "'.apply_gradients: the gradient of '" +
                                 all_vars[i].name() + "' is " + all_grads[i].shape().to_string() +
                                 " " + std::string(dtype_name(all_grads[i].dtype())) +
                                 ", the variable " + all_vars[i].shape().to_string() + " " +
                                 std::string(dtype_name(all_vars[i].dtype())));
    grads.push_back(all_grads[i]);
    vars.push_back(all_vars[i]);
  }
  if (grads.empty())
    throw InvalidArgumentError("optimizer '" + name() +
                               "'.apply_gradients: no gradients provided for any variable");
  if (!missing.empty())
    std::cerr << "WARNING: Gradients do not exist for variables [" << missing
              << "] when minimizing the loss.\n";
  build(vars);

  const auto& o = s.options;
  if (o.clipnorm) {
    for (Tensor& g : grads) g = g * (*o.clipnorm / maximum(norm(g), *o.clipnorm));
  } else if (o.global_clipnorm) {
    Tensor sum_sq = reduce_sum(square(cast(grads[0], float32)));
    for (size_t i = 1; i < grads.size(); ++i)
      sum_sq = sum_sq + reduce_sum(square(cast(grads[i], float32)));
    Tensor scale = *o.global_clipnorm * minimum(1.0 / sqrt(sum_sq), 1.0 / *o.global_clipnorm);
    for (Tensor& g : grads) g = g * cast(scale, g.dtype());
  } else if (o.clipvalue) {
    for (Tensor& g : grads) g = clip_by_value(g, -*o.clipvalue, *o.clipvalue);
  }

  Tensor lr = learning_rate();
  if (o.weight_decay && *o.weight_decay > 0)
    for (Variable& v : vars) {
      bool excluded =
          std::any_of(s.exclude_from_decay.begin(), s.exclude_from_decay.end(),
                      [&](const std::string& n) { return v.name().find(n) != std::string::npos; });
      if (!excluded)
        v.assign(v.read_value() - v.read_value() * (cast(lr, v.dtype()) * *o.weight_decay));
    }
  before_updates();
  for (size_t i = 0; i < vars.size(); ++i) {
    if (o.jit_compile && executing_eagerly())
      compiled_update(vars[i])(grads[i], cast(lr, vars[i].dtype()));
    else
      update_and_constrain(grads[i], vars[i], cast(lr, vars[i].dtype()));
  }
  s.iterations->assign_add(int64_t{1});
}

void Optimizer::update_and_constrain(const Tensor& grad, Variable& var, const Tensor& lr) {
  update_step(grad, var, lr);
  if (Constraint c = constraint_of(var)) var.assign(c(var.read_value()));
}

std::function<void(const Tensor&, const Tensor&)> Optimizer::compiled_update(const Variable& var) {
  auto& s = optimizer_state();
  std::lock_guard lock(s.compiled_mutex);
  auto& entry = s.slots.at(var.impl().get());
  if (!entry.compiled) {
    auto fn = tf::function([var](const Tensor& grad, const Tensor& lr) {
      Variable v = var;
      detail::calling->update_and_constrain(grad, v, lr);
      return lr;
    });
    auto step = std::make_shared<decltype(fn)>(std::move(fn));
    entry.compiled = [step](const Tensor& grad, const Tensor& lr) { (*step)(grad, lr); };
  }
  return [this, compiled = entry.compiled](const Tensor& grad, const Tensor& lr) {
    Optimizer* outer = std::exchange(detail::calling, this);
    struct Restore {
      Optimizer* outer;
      ~Restore() { detail::calling = outer; }
    } restore{outer};
    compiled(grad, lr);
  };
}

// --- The optimizers: slots and one update each, as Keras 3 writes them ---

SGD::SGD(LearningRate learning_rate, double momentum, bool nesterov, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "SGD"),
      momentum_(momentum),
      nesterov_(nesterov) {
  if (!(momentum >= 0 && momentum <= 1))
    throw InvalidArgumentError("SGD: momentum must be in [0, 1], got " + std::to_string(momentum));
}
void SGD::build_variable(const Variable& var) {
  if (momentum_ != 0) add_slot(var, "momentum");
}
Optimizer::KerasSlotGroups SGD::keras_slot_groups() const {
  if (momentum_ == 0) return {};
  return {{{"momentum", "momentums"}}};
}
void SGD::update_step(const Tensor& g, Variable& var, const Tensor& lr) {
  if (momentum_ == 0) {
    var.assign_sub(g * lr);
    return;
  }
  Variable m = slot(var, "momentum");
  m.assign(m.read_value() * momentum_ - g * lr);
  var.assign_add(nesterov_ ? m.read_value() * momentum_ - g * lr : m.read_value());
}

Adam::Adam(LearningRate learning_rate, AdamOptions adam, OptimizerOptions options)
    : Adam(std::move(learning_rate), adam, std::move(options), "adam") {}
Adam::Adam(LearningRate learning_rate, AdamOptions adam, OptimizerOptions options,
           std::string_view base)
    : Optimizer(std::move(learning_rate), std::move(options), base), adam_(adam) {
  if (!(adam.beta_1 >= 0 && adam.beta_1 < 1 && adam.beta_2 >= 0 && adam.beta_2 < 1) ||
      !(adam.epsilon >= 0))
    throw InvalidArgumentError("Adam: beta_1 and beta_2 must be in [0, 1), epsilon >= 0");
}
void Adam::build_variable(const Variable& var) {
  add_slot(var, "momentum");
  add_slot(var, "velocity");
  if (adam_.amsgrad) add_slot(var, "velocity_hat");
}
Optimizer::KerasSlotGroups Adam::keras_slot_groups() const {
  KerasSlotGroups groups{{{"momentum", "_momentums"}, {"velocity", "_velocities"}}};
  if (adam_.amsgrad) groups.push_back({{"velocity_hat", "_velocity_hats"}});
  return groups;
}
void Adam::update_step(const Tensor& g, Variable& var, const Tensor& lr) {
  Tensor t = cast(local_step(), var.dtype());
  Tensor alpha = lr * sqrt(1.0 - pow(adam_.beta_2, t)) / (1.0 - pow(adam_.beta_1, t));
  Variable m = slot(var, "momentum"), v = slot(var, "velocity");
  m.assign_add((g - m.read_value()) * (1 - adam_.beta_1));
  v.assign_add((square(g) - v.read_value()) * (1 - adam_.beta_2));
  Tensor velocity = v.read_value();
  if (adam_.amsgrad) {
    Variable v_hat = slot(var, "velocity_hat");
    v_hat.assign(maximum(v_hat.read_value(), velocity));
    velocity = v_hat.read_value();
  }
  var.assign_sub(m.read_value() * alpha / (sqrt(velocity) + adam_.epsilon));
}

namespace {
OptimizerOptions with_decay(OptimizerOptions options, double weight_decay) {
  options.weight_decay = weight_decay;
  return options;
}
}  // namespace
AdamW::AdamW(LearningRate learning_rate, double weight_decay, AdamOptions adam,
             OptimizerOptions options)
    : Adam(std::move(learning_rate), adam, with_decay(std::move(options), weight_decay), "adamw") {}

Nadam::Nadam(LearningRate learning_rate, double beta_1, double beta_2, double epsilon,
             OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "nadam"),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon),
      u_product_(add_variable("u_product", constant(1.0f), false)) {
  set_checkpoint_paths("u_product", {"_u_product"});
  if (!(beta_1 >= 0 && beta_1 < 1 && beta_2 >= 0 && beta_2 < 1) || !(epsilon >= 0))
    throw InvalidArgumentError("Nadam: beta_1 and beta_2 must be in [0, 1), epsilon >= 0");
}
Optimizer::KerasSlotGroups Nadam::keras_slot_groups() const {
  return {{{"momentum", "_momentums"}, {"velocity", "_velocities"}}};
}
void Nadam::build_variable(const Variable& var) {
  add_slot(var, "momentum");
  add_slot(var, "velocity");
}
// The momentum schedule's running product, once per step before the variables' updates.
void Nadam::before_updates() {
  u_product_.assign(u_product_.read_value() * beta_1_ * (1.0 - 0.5 * pow(0.96, local_step())));
}
void Nadam::update_step(const Tensor& g, Variable& var, const Tensor& lr) {
  Tensor t = cast(local_step(), var.dtype());
  Tensor u_t = beta_1_ * (1.0 - 0.5 * pow(0.96, t));
  Tensor u_t_1 = beta_1_ * (1.0 - 0.5 * pow(0.96, t + 1.0));
  Tensor u_product_t = cast(u_product_.read_value(), var.dtype());
  Tensor u_product_t_1 = u_product_t * u_t_1;
  Variable m = slot(var, "momentum"), v = slot(var, "velocity");
  m.assign_add((g - m.read_value()) * (1 - beta_1_));
  v.assign_add((square(g) - v.read_value()) * (1 - beta_2_));
  Tensor m_hat =
      u_t_1 * m.read_value() / (1.0 - u_product_t_1) + (1.0 - u_t) * g / (1.0 - u_product_t);
  Tensor v_hat = v.read_value() / (1.0 - pow(beta_2_, t));
  var.assign_sub(m_hat * lr / (sqrt(v_hat) + epsilon_));
}

RMSprop::RMSprop(LearningRate learning_rate, RMSpropOptions rmsprop, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "rmsprop"), rmsprop_(rmsprop) {
  if (!(rmsprop.rho >= 0 && rmsprop.rho <= 1) || !(rmsprop.momentum >= 0) ||
      !(rmsprop.epsilon >= 0))
    throw InvalidArgumentError("RMSprop: rho must be in [0, 1], momentum and epsilon >= 0");
}
void RMSprop::build_variable(const Variable& var) {
  add_slot(var, "velocity");
  if (rmsprop_.momentum > 0) add_slot(var, "momentum");
  if (rmsprop_.centered) add_slot(var, "average_gradient");
}
Optimizer::KerasSlotGroups RMSprop::keras_slot_groups() const {
  KerasSlotGroups groups{{{"velocity", "_velocities"}}};
  if (rmsprop_.momentum > 0) groups.push_back({{"momentum", "_momentums"}});
  if (rmsprop_.centered) groups.push_back({{"average_gradient", "_average_gradients"}});
  return groups;
}
void RMSprop::update_step(const Tensor& g, Variable& var, const Tensor& lr) {
  const double rho = rmsprop_.rho;
  Variable velocity = slot(var, "velocity");
  velocity.assign(velocity.read_value() * rho + square(g) * (1 - rho));
  Tensor denominator = velocity.read_value() + rmsprop_.epsilon;
  if (rmsprop_.centered) {
    Variable average = slot(var, "average_gradient");
    average.assign(average.read_value() * rho + g * (1 - rho));
    denominator = denominator - square(average.read_value());
  }
  Tensor increment = lr * g / sqrt(denominator);
  if (rmsprop_.momentum > 0) {
    Variable momentum = slot(var, "momentum");
    momentum.assign(momentum.read_value() * rmsprop_.momentum + increment);
    var.assign_sub(momentum.read_value());
  } else {
    var.assign_sub(increment);
  }
}

Adagrad::Adagrad(LearningRate learning_rate, double initial_accumulator_value, double epsilon,
                 OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "adagrad"),
      initial_(initial_accumulator_value),
      epsilon_(epsilon) {
  if (!(initial_accumulator_value >= 0) || !(epsilon >= 0))
    throw InvalidArgumentError("Adagrad: initial_accumulator_value and epsilon must be >= 0");
}
void Adagrad::build_variable(const Variable& var) { add_slot(var, "accumulator", initial_); }
Optimizer::KerasSlotGroups Adagrad::keras_slot_groups() const {
  return {{{"accumulator", "_accumulators"}}};
}
void Adagrad::update_step(const Tensor& g, Variable& var, const Tensor& lr) {
  Variable accumulator = slot(var, "accumulator");
  accumulator.assign_add(square(g));
  var.assign_sub(lr * g / sqrt(accumulator.read_value() + epsilon_));
}

}  // namespace tf::keras::optimizers
