// tf::keras::Layer: lazy building, call nesting (sub-layer tracking, the inherited training
// flag), weights, unique names.
#include "tfjit/keras/layer.h"

#include <map>
#include <mutex>
#include <unordered_set>

#include "frontend/src/keras/functional.h"
#include "frontend/src/keras/layer_state.h"
#include "tfjit/ops.h"

namespace tf::keras {

using detail::LayerState;

std::vector<int64_t> Ints::expand(size_t n, std::string_view what) const {
  if (values.size() == n) return values;
  if (values.size() == 1) return std::vector<int64_t>(n, values[0]);
  throw InvalidArgumentError(std::string(what) + ": expected 1 or " + std::to_string(n) +
                             " values, got " + std::to_string(values.size()));
}

namespace {

std::mutex names_mutex;
std::map<std::string, int64_t, std::less<>> name_counts;

std::string unique_name(std::string_view base) {
  std::lock_guard lock(names_mutex);
  auto [it, inserted] = name_counts.try_emplace(std::string(base), 0);
  int64_t n = it->second++;
  return n == 0 ? std::string(base) : std::string(base) + "_" + std::to_string(n);
}

// The layer calls in progress on this thread, innermost last: a layer called inside another's
// call becomes its sub-layer and inherits its training flag.
struct ActiveCall {
  Layer* layer;
  bool training;
};
thread_local std::vector<ActiveCall> active_calls;

class CallScope {
 public:
  CallScope(Layer& layer, std::optional<bool> training) {
    bool inherited = !active_calls.empty() && active_calls.back().training;
    if (!active_calls.empty() && !active_calls.back().layer->same_module(layer))
      active_calls.back().layer->add_module(layer);
    active_calls.push_back({&layer, training.value_or(inherited)});
  }
  ~CallScope() { active_calls.pop_back(); }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;
  bool training() const { return active_calls.back().training; }
  bool outermost() const { return active_calls.size() == 1; }
};

template <class F>
void build_from_call(LayerState& state, F build) {
  if (state.built) return;
  state.building_in_call = true;
  try {
    build();
  } catch (...) {
    state.building_in_call = false;
    throw;
  }
  state.building_in_call = false;
  state.built = true;
}

}  // namespace

Layer::Layer(std::string name, std::string_view base)
    : Layer(std::make_shared<LayerState>(), std::move(name), base) {}
Layer::Layer(std::shared_ptr<LayerState> state, std::string name, std::string_view base)
    : Module(std::move(state)) {
  state_->name = name.empty() ? unique_name(base) : std::move(name);
  layer_state().type = base;
}

LayerState& Layer::layer_state() const { return static_cast<LayerState&>(*state_); }

Tensor Layer::operator()(const Tensor& x, std::optional<bool> training) {
  if (!x.defined()) throw InvalidArgumentError("layer '" + name() + "': called on a null tensor");
  CallScope scope(*this, training);
  build_from_call(layer_state(), [&] { build(x.shape()); });
  Tensor y = call(x, scope.training());
  layer_state().output_shape = y.shape();
  return scope.outermost() ? detail::record_call(*this, {x}, false, y) : y;
}

Tensor Layer::operator()(const std::vector<Tensor>& inputs, std::optional<bool> training) {
  std::vector<TensorShape> shapes;
  for (const Tensor& x : inputs) {
    if (!x.defined()) throw InvalidArgumentError("layer '" + name() + "': called on a null tensor");
    shapes.push_back(x.shape());
  }
  CallScope scope(*this, training);
  build_from_call(layer_state(), [&] { build_list(shapes); });
  Tensor y = call_list(inputs, scope.training());
  layer_state().output_shape = y.shape();
  return scope.outermost() ? detail::record_call(*this, inputs, true, y) : y;
}

Tensor Layer::call(const Tensor&, bool) {
  throw UnimplementedError("layer '" + name() + "' takes a list of inputs");
}
Tensor Layer::call_list(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1)
    throw InvalidArgumentError("layer '" + name() + "' takes one input, got " +
                               std::to_string(inputs.size()));
  return call(inputs[0], training);
}
void Layer::build(const TensorShape&) {}
std::shared_ptr<Layer> Layer::clone() const {
  throw UnimplementedError("layer '" + name() +
                           "' cannot be used in a functional model: override clone()");
}
// One input builds as build() does; layers of several inputs (weightless merges) have nothing
// to build unless they override this.
void Layer::build_list(const std::vector<TensorShape>& input_shapes) {
  if (input_shapes.size() == 1) build(input_shapes[0]);
}
bool Layer::built() const { return layer_state().built; }

Variable Layer::weight(std::string_view attribute) const {
  for (const auto& [name, v] : state_->variables)
    if (name == attribute) return v;
  throw InvalidArgumentError("layer '" + name() + "' has no weight '" + std::string(attribute) +
                             "'" + (built() ? "" : " (it is not built yet: call it first)"));
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (const Variable& v : weights()) out.push_back(v.read_value());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  auto vars = weights();
  if (values.size() != vars.size())
    throw InvalidArgumentError("layer '" + name() +
                               "'.set_weights: " + std::to_string(values.size()) + " values for " +
                               std::to_string(vars.size()) + " weights");
  for (size_t i = 0; i < vars.size(); ++i)
    if (values[i].shape() != vars[i].shape() || values[i].dtype() != vars[i].dtype())
      throw InvalidArgumentError("layer '" + name() + "'.set_weights: weight '" + vars[i].name() +
                                 "' is " + vars[i].shape().to_string() + " " +
                                 std::string(dtype_name(vars[i].dtype())) + ", value " +
                                 std::to_string(i) + " is " + values[i].shape().to_string() + " " +
                                 std::string(dtype_name(values[i].dtype())));
  for (size_t i = 0; i < vars.size(); ++i) vars[i].assign(values[i]);
}

bool Layer::trainable() const { return state_->trainable; }
// As Keras' setter: the layer and every layer below it.
void Layer::set_trainable(bool trainable) {
  std::unordered_set<tf::detail::ModuleState*> seen;
  auto visit = [&](auto& self, tf::detail::ModuleState& m) -> void {
    if (!seen.insert(&m).second) return;
    m.trainable = trainable;
    for (auto& [attribute, child] : m.children) self(self, *child);
  };
  visit(visit, *state_);
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  std::unordered_set<const tf::detail::ModuleState*> seen;
  // Keras regularises the trainable weights only (not a frozen layer's).
  auto visit = [&](auto& self, const tf::detail::ModuleState& m) -> void {
    if (!seen.insert(&m).second) return;
    if (auto* layer = dynamic_cast<const LayerState*>(&m); layer && layer->trainable)
      for (const auto& [v, regularizer] : layer->regularizers)
        if (v.trainable()) out.push_back(regularizer(v));
    for (const auto& [attribute, child] : m.children) self(self, *child);
  };
  visit(visit, *state_);
  return out;
}

Variable Layer::add_weight(const std::string& attribute, const TensorShape& shape,
                           const Initializer& initializer, bool trainable,
                           const Regularizer& regularizer, const Constraint& constraint,
                           DType dtype) {
  // Building again (a build() the user called, then the first call; a build that failed half
  // way) finds the weights already made instead of adding more.
  for (const auto& [existing, v] : state_->variables)
    if (existing == attribute) {
      if (v.shape() != shape || v.dtype() != dtype)
        throw InvalidArgumentError("layer '" + name() + "': weight '" + attribute + "' exists as " +
                                   v.shape().to_string() + ", built again as " + shape.to_string());
      return v;
    }
  for (int64_t d : shape)
    if (d < 0)
      throw InvalidArgumentError("layer '" + name() + "': weight '" + attribute + "' of shape " +
                                 shape.to_string() +
                                 " (the input's feature dims must be known to build)");
  Tensor initial;
  {
    init_scope eager;
    initial = initializer(shape, dtype);
  }
  Variable v = add_variable(attribute, initial, trainable);
  if (regularizer) layer_state().regularizers.emplace_back(v, regularizer);
  if (constraint) detail::set_constraint(v, constraint);
  return v;
}

void Layer::check_rank(const Tensor& x, int64_t rank, std::string_view what) const {
  if (x.shape().rank() != rank)
    throw InvalidArgumentError("layer '" + name() + "' expects " + std::string(what) + " (rank " +
                               std::to_string(rank) + "), got shape " + x.shape().to_string());
}

namespace backend {
void clear_session() {
  std::lock_guard lock(names_mutex);
  name_counts.clear();
}
}  // namespace backend

}  // namespace tf::keras
