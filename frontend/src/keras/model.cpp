// tf::keras::Model: compile, the traced train/test/predict steps, Sequential, summary.
#include "tfjit/keras/model.h"

#include <iomanip>
#include <iostream>
#include <sstream>

#include "frontend/src/keras/model_state.h"
#include "tfjit/creation.h"
#include "tfjit/function.h"
#include "tfjit/gradient_tape.h"
#include "tfjit/ops.h"

namespace tf::keras {

using detail::ModelState;

Model::Model(std::string name) : Model(std::move(name), "model") {}
Model::Model(std::string name, std::string_view base)
    : Layer(std::make_shared<ModelState>(), std::move(name), base) {}

Model::Model(const std::vector<Tensor>& inputs, const Tensor& output, std::string name)
    : Model(std::move(name), "functional") {
  auto graph = std::make_shared<const detail::FunctionalGraph>(
      detail::functional_graph(inputs, output, this->name()));
  // Track the layers now, in the order they run, so weights are listed before any call.
  for (const auto& node : graph->order) add_module(*node->layer);
  model_state().functional = std::move(graph);
  layer_state().built = true;
}

Tensor Model::call(const Tensor& x, bool training) {
  if (!model_state().functional)
    throw UnimplementedError("model '" + name() +
                             "': a Model subclass overrides call(), or a functional model is "
                             "made with Model(inputs, output)");
  return detail::run_functional(*model_state().functional, {x}, training, name());
}

Tensor Model::call_list(const std::vector<Tensor>& inputs, bool training) {
  if (!model_state().functional) return Layer::call_list(inputs, training);
  return detail::run_functional(*model_state().functional, inputs, training, name());
}

std::shared_ptr<Layer> Model::clone() const {
  if (!model_state().functional)
    throw UnimplementedError("model '" + name() +
                             "' cannot be used in a functional model: override clone()");
  return std::make_shared<Model>(*this);
}

ModelState& Model::model_state() const { return static_cast<ModelState&>(*state_); }

namespace {

std::shared_ptr<metrics::Metric> resolve_metric(const MetricSpec& spec) {
  if (spec.metric()) return spec.metric();
  const std::string& name = spec.name();
  if (name == "accuracy" || name == "acc") {
    // As Keras: chosen from the shapes at each update: one output is binary, labels of lower
    // rank (or a last dim of 1 against several classes) are sparse, else one-hot.
    return std::make_shared<metrics::MeanMetricWrapper>(
        [](const Tensor& y_true, const Tensor& y_pred) {
          const auto& t = y_true.shape();
          const auto& p = y_pred.shape();
          const int64_t p_last = p.rank() > 0 ? p[p.rank() - 1] : 1;
          const int64_t t_last = t.rank() > 0 ? t[t.rank() - 1] : 1;
          if (p_last == 1) return metrics::binary_accuracy(y_true, y_pred);
          if (t.rank() < p.rank() || (t_last == 1 && p_last > 1))
            return metrics::sparse_categorical_accuracy(y_true, y_pred);
          return metrics::categorical_accuracy(y_true, y_pred);
        },
        name);
  }
  if (name == "sparse_categorical_accuracy")
    return std::make_shared<metrics::SparseCategoricalAccuracy>();
  if (name == "categorical_accuracy") return std::make_shared<metrics::CategoricalAccuracy>();
  if (name == "binary_accuracy") return std::make_shared<metrics::BinaryAccuracy>();
  if (name == "mse" || name == "mean_squared_error")
    return std::make_shared<metrics::MeanSquaredError>(name);
  if (name == "mae" || name == "mean_absolute_error")
    return std::make_shared<metrics::MeanAbsoluteError>(name);
  if (name == "auc") return std::make_shared<metrics::AUC>();
  throw InvalidArgumentError("Model.compile: unknown metric '" + name + "'");
}

// A step as a tf::function of its batch tensors (each batch shape traces once, the last smaller
// batch too), or op by op when run_eagerly.
template <class F>
detail::Step maybe_compiled(F body, const CompileOptions& options) {
  if (options.run_eagerly)
    return [body](const std::vector<Tensor>& batch) {
      return batch.size() == 1 ? body(batch[0], Tensor()) : body(batch[0], batch[1]);
    };
  auto one =
      tf::function([body](const Tensor& x) { return body(x, Tensor()); }, options.function_options);
  auto two = tf::function(body, options.function_options);
  return [one, two](const std::vector<Tensor>& batch) {
    return batch.size() == 1 ? one(batch[0]) : two(batch[0], batch[1]);
  };
}

}  // namespace

void Model::compile_shared(std::shared_ptr<optimizers::Optimizer> optimizer,
                           std::shared_ptr<losses::Loss> loss, std::vector<MetricSpec> metrics,
                           CompileOptions options) {
  auto& s = model_state();
  s.optimizer = std::move(optimizer);
  s.loss = std::move(loss);
  s.loss_tracker = std::make_shared<metrics::Mean>("loss");
  s.metrics.clear();
  for (const MetricSpec& spec : metrics) s.metrics.push_back(resolve_metric(spec));
  s.options = std::move(options);
  // As in Keras, a model created or compiled inside a strategy's scope trains under that
  // strategy; weights that exist already (built outside the scope) take the chief's values.
  if (auto scoped = distribute::detail::scope_strategy()) s.strategy = scoped;
  if (s.strategy && s.strategy->replicas() > 1)
    for (Variable& v : variables())
      v.assign(distribute::detail::broadcast(*s.strategy, v.read_value()));
  s.owner = s.predict_owner = nullptr;  // the steps are made again, for the new configuration
}

optimizers::Optimizer& Model::optimizer() const {
  if (!model_state().optimizer)
    throw FailedPreconditionError("model '" + name() + "' is not compiled: call compile() first");
  return *model_state().optimizer;
}

std::vector<std::shared_ptr<metrics::Metric>> Model::metrics() const {
  std::vector<std::shared_ptr<metrics::Metric>> out;
  if (model_state().loss_tracker) out.push_back(model_state().loss_tracker);
  for (const auto& m : model_state().metrics) out.push_back(m);
  return out;
}

void Model::make_steps() {
  auto& s = model_state();
  if (!s.loss)
    throw FailedPreconditionError("model '" + name() + "' is not compiled: call compile() first");
  if (s.owner == this) return;
  Model* self = this;
  auto results = [&s] {
    std::vector<Tensor> out{s.loss_tracker->result()};
    for (const auto& m : s.metrics) out.push_back(m->result());
    return out;
  };
  auto update = [&s](const Tensor& y, const Tensor& y_pred, const Tensor& loss) {
    // Under a strategy a replica may get no rows of a small last batch: its loss (a mean over
    // nothing) is NaN, counted with weight 0.
    const Tensor rows = cast(shape(y_pred)[0], loss.dtype());
    s.loss_tracker->update_state(s.strategy ? where(rows > 0.0, loss, zeros_like(loss)) : loss,
                                 rows);
    for (const auto& m : s.metrics) m->update_state(y, y_pred);
  };
  s.train_step = maybe_compiled(
      [self, &s, results, update](const Tensor& x, const Tensor& y) {
        GradientTape tape;
        Tensor y_pred = (*self)(x, true);
        Tensor loss = (*s.loss)(y, y_pred);
        for (const Tensor& penalty : self->losses()) loss = loss + cast(penalty, loss.dtype());
        auto vars = self->trainable_variables();
        auto grads = tape.gradient(loss, vars);
        if (s.strategy)  // the rows this replica had, counted when the step runs
          grads = distribute::detail::aggregate_gradients(*s.strategy, grads, shape(x)[0]);
        s.optimizer->apply_gradients(grads, vars);
        update(y, y_pred, loss);
        return results();
      },
      s.options);
  s.test_step = maybe_compiled(
      [self, &s, results, update](const Tensor& x, const Tensor& y) {
        Tensor y_pred = (*self)(x, false);
        Tensor loss = (*s.loss)(y, y_pred);
        for (const Tensor& penalty : self->losses()) loss = loss + cast(penalty, loss.dtype());
        update(y, y_pred, loss);
        return results();
      },
      s.options);
  s.owner = this;
}

// Predicting needs no compile (as in Keras): its step is made on its own.
void Model::make_predict_step() {
  auto& s = model_state();
  if (s.predict_owner == this) return;
  Model* self = this;
  s.predict_step = maybe_compiled(
      [self](const Tensor& x, const Tensor&) { return std::vector<Tensor>{(*self)(x, false)}; },
      s.options);
  s.predict_owner = this;
}

Logs Model::logs_of(const std::vector<Tensor>& results) const {
  Logs logs;
  auto all = metrics();
  for (size_t i = 0; i < all.size() && i < results.size(); ++i)
    logs[all[i]->name()] = results[i].item<float>();
  return logs;
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y) {
  make_steps();
  for (auto& m : metrics()) m->reset_state();
  return logs_of(model_state().train_step({x, y}));
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y) {
  make_steps();
  for (auto& m : metrics()) m->reset_state();
  return logs_of(model_state().test_step({x, y}));
}

void Model::summary() const { summary(std::cout); }

void Model::summary(std::ostream& os) const {
  auto count = [](const std::vector<Variable>& vars) {
    int64_t n = 0;
    for (const Variable& v : vars) n += v.shape().num_elements();
    return n;
  };
  os << "Model: \"" << name() << "\"\n";
  const std::string rule(72, '_');
  os << rule << "\n"
     << std::left << std::setw(34) << " Layer (type)" << std::setw(26) << "Output Shape"
     << "Param #\n"
     << std::string(72, '=') << "\n";
  for (const auto& [attribute, module] : tracked_modules()) {
    const auto* layer = dynamic_cast<const detail::LayerState*>(module.state().get());
    std::string type = layer ? layer->type : "module";
    std::string shape = "?";
    if (layer && layer->built && layer->output_shape.rank() > 0) {
      std::vector<int64_t> dims = layer->output_shape.dims();
      dims[0] = kUnknownDim;  // any batch size, printed None as Keras does
      shape = TensorShape(dims).to_string();
    }
    os << std::left << std::setw(34) << (" " + module.name() + " (" + type + ")") << std::setw(26)
       << shape << count(module.variables()) << "\n";
  }
  os << std::string(72, '=') << "\n"
     << "Total params: " << count(variables()) << "\n"
     << "Trainable params: " << count(trainable_variables()) << "\n"
     << "Non-trainable params: " << count(non_trainable_variables()) << "\n"
     << rule << "\n";
}

Sequential::Sequential(std::vector<LayerRef> layers, std::string name)
    : Model(std::move(name), "sequential") {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(LayerRef layer) {
  if (!layer.get()) throw InvalidArgumentError("Sequential.add: null layer");
  for (const auto& l : model_state().sequence)
    if (l->name() == layer.get()->name())
      throw InvalidArgumentError(
          "Sequential.add: all layers of a Sequential model need unique "
          "names; '" +
          l->name() + "' is already there");
  add_module(*layer.get());
  // Steps traced before run the old stack: make them again.
  model_state().owner = model_state().predict_owner = nullptr;
  model_state().sequence.push_back(layer.get());
  // Keras 3's path to a Sequential's layer i (its InputLayer is operation 0).
  set_checkpoint_paths(layer.get()->name(), {"_functional/_operations/" +
                                             std::to_string(model_state().sequence.size())});
}

std::vector<std::shared_ptr<Layer>> Sequential::layers() const { return model_state().sequence; }

Tensor Sequential::call(const Tensor& x, bool training) {
  if (model_state().sequence.empty())
    throw FailedPreconditionError("Sequential '" + name() + "' has no layers");
  Tensor y = x;
  for (const auto& layer : model_state().sequence) y = (*layer)(y, training);
  return y;
}

void Sequential::build(const TensorShape& input_shape) {
  if (layer_state().building_in_call) return;  // the first call builds each layer as it goes
  std::vector<int64_t> dims = input_shape.dims();
  for (int64_t& d : dims)
    if (d < 0) d = 1;
  init_scope eager;
  (*this)(zeros(TensorShape(dims)), false);
}

}  // namespace tf::keras
