// Model.fit / evaluate / predict: batching, shuffling, validation, callbacks, progress.
#include <exception>
#include <iostream>
#include <optional>
#include <utility>

#include "frontend/src/keras/model_state.h"
#include "frontend/src/keras/progress.h"
#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::keras {

namespace {

void check_data(const Tensor& x, const Tensor& y, const char* method) {
  if (!x.defined() || x.shape().rank() < 1)
    throw InvalidArgumentError(std::string("Model.") + method +
                               ": x must be a tensor with a batch dim");
  if (y.defined() && (y.shape().rank() < 1 || y.shape()[0] != x.shape()[0]))
    throw InvalidArgumentError(std::string("Model.") + method + ": x has " +
                               std::to_string(x.shape()[0]) + " samples " + x.shape().to_string() +
                               ", y " + y.shape().to_string());
}

void check_batch_size(int64_t batch_size, const char* method) {
  if (batch_size <= 0)
    throw InvalidArgumentError(std::string("Model.") + method +
                               ": batch_size must be positive, got " + std::to_string(batch_size));
}

int64_t batches(int64_t samples, int64_t batch_size) {
  return (samples + batch_size - 1) / batch_size;
}

// Rows [begin, end) of `t`, in `order` when given.
Tensor rows(const Tensor& t, const Tensor& order, int64_t begin, int64_t end) {
  if (order.defined()) return gather(t, order(slice(begin, end)));
  return t(slice(begin, end));
}

// The end of an epoch, in both fits: the bar's last line, the history, the callbacks.
void end_epoch(detail::ProgressBar& bar, const Logs& logs, int64_t epoch, History& history,
               const std::vector<callbacks::Callback*>& cbs) {
  bar.finish(logs);
  for (const auto& [k, v] : logs) history.history[k].push_back(v);
  history.epoch.push_back(epoch);
  for (auto* c : cbs) c->on_epoch_end(epoch, logs);
}

Logs with_prefix(const Logs& logs, const std::string& prefix) {
  Logs out;
  for (const auto& [k, v] : logs) out[prefix + k] = v;
  return out;
}

std::vector<callbacks::Callback*> attach(const FitOptions& options, Model* model) {
  std::vector<callbacks::Callback*> cbs;
  for (const auto& c : options.callbacks) {
    if (!c) throw InvalidArgumentError("Model.fit: null callback");
    c->model = model;
    cbs.push_back(c.get());
  }
  return cbs;
}

void check_epochs(const FitOptions& options) {
  if (options.epochs < 0 || options.initial_epoch < 0)
    throw InvalidArgumentError("Model.fit: epochs and initial_epoch must be >= 0");
}

// Checks a steps option, and that a dataset without one is finite. The progress bar's total:
// the steps, the cardinality, or -1 (unknown).
int64_t dataset_steps(const data::Dataset& ds, const std::optional<int64_t>& steps,
                      const std::string& method, const char* option) {
  if (steps) {
    if (*steps <= 0)
      throw InvalidArgumentError("Model." + method + ": " + option + " must be positive, got " +
                                 std::to_string(*steps));
    return *steps;
  }
  const int64_t cardinality = ds.cardinality();
  if (cardinality == data::INFINITE_CARDINALITY)
    throw InvalidArgumentError("Model." + method + ": the dataset is infinite (repeat()); pass " +
                               option);
  return cardinality >= 0 ? cardinality : -1;
}

// Under a strategy, each log averaged over the replicas, weighted by the rows each saw (exact for
// the loss and the metrics that are means over rows), so that every replica sees the same numbers
// and takes the same decisions (early stopping, checkpoints, the end of training).
Logs replica_mean(const detail::ModelState& s, Logs logs, int64_t rows) {
  if (!s.strategy || s.strategy->replicas() == 1 || logs.empty()) return logs;
  std::vector<double> values{static_cast<double>(rows)};
  for (const auto& [k, v] : logs) values.push_back(v * static_cast<double>(rows));
  auto sums =
      distribute::detail::all_reduce(*s.strategy, distribute::ReduceOp::SUM, constant(values))
          .to_vector<double>();
  size_t i = 1;
  for (auto& [k, v] : logs) v = static_cast<float>(sums[0] > 0 ? sums[i++] / sums[0] : 0.0);
  return logs;
}

// The rows of the global batch [begin, end) this replica trains on.
std::pair<int64_t, int64_t> replica_rows(const detail::ModelState& s, int64_t begin, int64_t end) {
  return s.strategy ? distribute::detail::shard_rows(*s.strategy, begin, end)
                    : std::pair{begin, end};
}

// Only the chief prints progress under a strategy.
int chief_verbose(const detail::ModelState& s, int verbose) {
  return s.strategy && s.strategy->communicator->rank() != 0 ? 0 : verbose;
}

// Variables a model builds lazily during fit must be mirrored too, so fit runs in the scope of
// the model's strategy. An exception leaving fit on one replica is reported to the others, which
// would otherwise wait for this one at their next collective.
struct StrategyScope {
  explicit StrategyScope(const detail::ModelState& s) : strategy(s.strategy) {
    if (strategy) scope.emplace(strategy);
  }
  ~StrategyScope() {
    if (strategy && std::uncaught_exceptions() > exceptions)
      distribute::Strategy::report_failure(strategy, "an exception ended Model.fit or evaluate");
  }
  std::shared_ptr<distribute::detail::StrategyImpl> strategy;
  int exceptions = std::uncaught_exceptions();
  std::optional<distribute::Strategy::Scope> scope;
};

}  // namespace

Logs Model::run_epoch(const Tensor& x, const Tensor& y, const Tensor& order, int64_t batch_size,
                      bool train, detail::ProgressBar& bar,
                      const std::vector<callbacks::Callback*>& callbacks) {
  auto& s = model_state();
  for (auto& m : metrics()) m->reset_state();
  const int64_t n = x.shape()[0], steps = batches(n, batch_size);
  Logs logs;
  int64_t seen = 0;  // rows this replica saw
  for (int64_t b = 0; b < steps; ++b) {
    auto [begin, end] = replica_rows(s, b * batch_size, std::min(n, (b + 1) * batch_size));
    seen += end - begin;
    Tensor xb = rows(x, order, begin, end), yb = rows(y, order, begin, end);
    logs = logs_of(train ? s.train_step({xb, yb}) : s.test_step({xb, yb}));
    if (train)
      for (auto* c : callbacks) c->on_train_batch_end(b, logs);
    bar.update(b + 1, logs);
  }
  return replica_mean(s, logs, seen);
}

Logs Model::run_iterator(data::Iterator& it, int64_t max_steps, bool train,
                         detail::ProgressBar& bar,
                         const std::vector<callbacks::Callback*>& callbacks, const char* method,
                         int64_t& done, bool per_replica) {
  auto& s = model_state();
  for (auto& m : metrics()) m->reset_state();
  Logs logs;
  done = 0;
  int64_t seen = 0;  // rows this replica saw
  while (max_steps < 0 || done < max_steps) {
    std::optional<data::Element> element = it.get_next();
    if (!element) break;
    if (element->size() != 2)
      throw InvalidArgumentError(std::string("Model.") + method +
                                 ": dataset elements must be (x, y) batches, got an element of " +
                                 std::to_string(element->size()) + " components");
    check_data((*element)[0], (*element)[1], method);
    // Under a strategy each element is a global batch: this replica takes its rows.
    for (Tensor& t : *element) {
      if (per_replica) break;
      auto [begin, end] = replica_rows(s, 0, t.shape()[0]);
      if (end - begin != t.shape()[0]) t = t(slice(begin, end));
    }
    seen += (*element)[0].shape()[0];
    logs = logs_of(train ? s.train_step(*element) : s.test_step(*element));
    if (train)
      for (auto* c : callbacks) c->on_train_batch_end(done, logs);
    bar.update(++done, logs);
  }
  return replica_mean(s, logs, seen);
}

History Model::fit(const data::Dataset& dataset, FitOptions options) {
  check_epochs(options);
  if (options.validation_split > 0)
    throw InvalidArgumentError(
        "Model.fit: validation_split does not apply to a dataset (pass validation_dataset)");
  if (options.validation_data && options.validation_dataset)
    throw InvalidArgumentError("Model.fit: both validation_data and validation_dataset given");
  const int64_t total = dataset_steps(dataset, options.steps_per_epoch, "fit", "steps_per_epoch");
  if (options.validation_dataset)
    dataset_steps(*options.validation_dataset, options.validation_steps, "fit", "validation_steps");
  else if (options.validation_steps)
    throw InvalidArgumentError("Model.fit: validation_steps without validation_dataset");
  if (options.validation_data)
    check_data(options.validation_data->first, options.validation_data->second,
               "fit (validation_data)");
  const int64_t cardinality = dataset.cardinality();
  make_steps();
  StrategyScope in_scope(model_state());
  const int verbose = chief_verbose(model_state(), detail::resolve_verbose(options.verbose));
  std::vector<callbacks::Callback*> cbs = attach(options, this);
  History history;
  stop_training = false;
  for (auto* c : cbs) c->on_train_begin({});
  // With steps_per_epoch one iterator runs on across epochs, replaced once the data runs out.
  std::optional<data::Iterator> it;
  int64_t seen = 0;  // batches drawn from `it`
  const int64_t max_steps = options.steps_per_epoch.value_or(-1);
  Logs logs;
  for (int64_t epoch = options.initial_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    for (auto* c : cbs) c->on_epoch_begin(epoch, {});
    if (verbose > 0)
      std::cout << "Epoch " << epoch + 1 << "/" << options.epochs << "\n" << std::flush;
    bool fresh = false;
    if (!it || !options.steps_per_epoch) {
      it.emplace(dataset.make_iterator());
      seen = 0;
      fresh = true;
    }
    detail::ProgressBar bar(total, verbose);
    int64_t done = 0;
    logs = run_iterator(*it, max_steps, true, bar, cbs, "fit", done, dataset.per_replica());
    if (done == 0 && !fresh) {  // the previous epoch ended exactly at the data's end
      it.emplace(dataset.make_iterator());
      seen = 0;
      logs = run_iterator(*it, max_steps, true, bar, cbs, "fit", done, dataset.per_replica());
    }
    if (done == 0)
      throw InvalidArgumentError("Model.fit: the dataset produced no batches in epoch " +
                                 std::to_string(epoch + 1));
    seen += done;
    if (options.steps_per_epoch && done < max_steps) {
      std::cerr << "WARNING: Your input ran out of data; interrupting the epoch after " << done
                << " of " << max_steps
                << " steps. Make sure that your dataset can generate at least steps_per_epoch * "
                   "epochs batches (repeat() does).\n";
      it.reset();
    } else if (cardinality >= 0 && seen >= cardinality) {
      it.reset();
    }
    if (options.validation_dataset) {
      detail::ProgressBar silent(0, 0);
      data::Iterator vit = options.validation_dataset->make_iterator();
      int64_t vdone = 0;
      auto val = run_iterator(vit, options.validation_steps.value_or(-1), false, silent, {},
                              "fit (validation_dataset)", vdone,
                              options.validation_dataset->per_replica());
      if (vdone == 0)
        throw InvalidArgumentError("Model.fit: validation_dataset produced no batches");
      for (const auto& [k, v] : with_prefix(val, "val_")) logs[k] = v;
    } else if (options.validation_data) {
      detail::ProgressBar silent(0, 0);
      const auto& [x_val, y_val] = *options.validation_data;
      auto val = run_epoch(x_val, y_val, Tensor(), options.batch_size, false, silent, {});
      for (const auto& [k, v] : with_prefix(val, "val_")) logs[k] = v;
    }
    end_epoch(bar, logs, epoch, history, cbs);
  }
  for (auto* c : cbs) c->on_train_end(logs);
  return history;
}

Logs Model::evaluate(const data::Dataset& dataset, EvaluateOptions options) {
  const int64_t total = dataset_steps(dataset, options.steps, "evaluate", "steps");
  make_steps();
  StrategyScope in_scope(model_state());
  detail::ProgressBar bar(total,
                          chief_verbose(model_state(), detail::resolve_verbose(options.verbose)));
  data::Iterator it = dataset.make_iterator();
  int64_t done = 0;
  Logs logs = run_iterator(it, options.steps.value_or(-1), false, bar, {}, "evaluate", done,
                           dataset.per_replica());
  if (done == 0) throw InvalidArgumentError("Model.evaluate: the dataset produced no batches");
  bar.finish(logs);
  return logs;
}

History Model::fit(const Tensor& x_all, const Tensor& y_all, FitOptions options) {
  check_data(x_all, y_all, "fit");
  check_batch_size(options.batch_size, "fit");
  if (!y_all.defined()) throw InvalidArgumentError("Model.fit: y is required");
  if (!(options.validation_split >= 0 && options.validation_split < 1))
    throw InvalidArgumentError("Model.fit: validation_split must be in [0, 1)");
  check_epochs(options);
  if (options.validation_dataset || options.steps_per_epoch || options.validation_steps)
    throw InvalidArgumentError(
        "Model.fit: validation_dataset, steps_per_epoch and validation_steps apply to fit on a "
        "dataset");
  make_steps();
  StrategyScope in_scope(model_state());
  const int verbose = chief_verbose(model_state(), detail::resolve_verbose(options.verbose));

  // Keras holds out the last samples, before shuffling.
  Tensor x = x_all, y = y_all, x_val, y_val;
  const int64_t total = x_all.shape()[0];
  if (options.validation_data) {
    std::tie(x_val, y_val) = *options.validation_data;
    check_data(x_val, y_val, "fit (validation_data)");
  } else if (options.validation_split > 0) {
    int64_t split =
        static_cast<int64_t>(static_cast<double>(total) * (1 - options.validation_split));
    if (split <= 0 || split >= total)
      throw InvalidArgumentError("Model.fit: validation_split " +
                                 std::to_string(options.validation_split) + " of " +
                                 std::to_string(total) + " samples leaves a split empty");
    x = x_all(slice(0, split));
    y = y_all(slice(0, split));
    x_val = x_all(slice(split, total));
    y_val = y_all(slice(split, total));
  }
  if (x.shape()[0] == 0) throw InvalidArgumentError("Model.fit: no training samples");

  std::vector<callbacks::Callback*> cbs = attach(options, this);
  History history;
  stop_training = false;
  for (auto* c : cbs) c->on_train_begin({});
  const int64_t n = x.shape()[0];
  Logs logs;
  for (int64_t epoch = options.initial_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    for (auto* c : cbs) c->on_epoch_begin(epoch, {});
    if (verbose > 0)
      std::cout << "Epoch " << epoch + 1 << "/" << options.epochs << "\n" << std::flush;
    Tensor order = options.shuffle ? argsort(random::uniform({n})) : Tensor();
    // Every replica shuffles as the chief does, so their shards of a batch are disjoint.
    if (order.defined() && model_state().strategy)
      order = distribute::detail::broadcast(*model_state().strategy, order);
    detail::ProgressBar bar(batches(n, options.batch_size), verbose);
    logs = run_epoch(x, y, order, options.batch_size, true, bar, cbs);
    if (x_val.defined()) {
      detail::ProgressBar silent(0, 0);
      auto val = run_epoch(x_val, y_val, Tensor(), options.batch_size, false, silent, {});
      for (const auto& [k, v] : with_prefix(val, "val_")) logs[k] = v;
    }
    end_epoch(bar, logs, epoch, history, cbs);
  }
  for (auto* c : cbs) c->on_train_end(logs);
  return history;
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options) {
  check_data(x, y, "evaluate");
  check_batch_size(options.batch_size, "evaluate");
  if (!y.defined()) throw InvalidArgumentError("Model.evaluate: y is required");
  if (x.shape()[0] == 0) throw InvalidArgumentError("Model.evaluate: no samples");
  if (options.steps) throw InvalidArgumentError("Model.evaluate: steps applies to a dataset");
  make_steps();
  StrategyScope in_scope(model_state());
  detail::ProgressBar bar(batches(x.shape()[0], options.batch_size),
                          chief_verbose(model_state(), detail::resolve_verbose(options.verbose)));
  Logs logs = run_epoch(x, y, Tensor(), options.batch_size, false, bar, {});
  bar.finish(logs);
  return logs;
}

Tensor Model::predict(const Tensor& x, PredictOptions options) {
  check_data(x, Tensor(), "predict");
  check_batch_size(options.batch_size, "predict");
  make_predict_step();
  const int64_t n = x.shape()[0], steps = batches(n, options.batch_size);
  if (n == 0) throw InvalidArgumentError("Model.predict: no samples");
  detail::ProgressBar bar(steps, detail::resolve_verbose(options.verbose));
  std::vector<Tensor> outputs;
  for (int64_t b = 0; b < steps; ++b) {
    int64_t begin = b * options.batch_size, end = std::min(n, begin + options.batch_size);
    outputs.push_back(model_state().predict_step({x(slice(begin, end))})[0]);
    bar.update(b + 1, {});
  }
  bar.finish({});
  return outputs.size() == 1 ? outputs[0] : concat(outputs, 0);
}

}  // namespace tf::keras
