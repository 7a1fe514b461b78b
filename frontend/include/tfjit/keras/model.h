// tf::keras::Model and Sequential: compile, fit, evaluate, predict, as Keras.
//
//   tf::keras::Sequential model({tf::keras::layers::Dense(64, "relu"),
//   tf::keras::layers::Dense(10)}); model.compile(tf::keras::optimizers::Adam(1e-3),
//                 tf::keras::losses::SparseCategoricalCrossentropy(/*from_logits=*/true),
//                 {"accuracy"});
//   auto history = model.fit(x, y, {.batch_size = 32, .epochs = 5, .validation_split = 0.1});
//
// fit traces its training step (forward, tape, optimizer update, metrics) into one tf::function
// and calls it per batch, printing Keras' progress bar. A model of your own subclasses Model and
// overrides call(); the layers it calls are tracked as it first calls them.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tfjit/data.h"
#include "tfjit/export.h"
#include "tfjit/function.h"
#include "tfjit/keras/layer.h"
#include "tfjit/keras/losses.h"
#include "tfjit/keras/metrics.h"
#include "tfjit/keras/optimizers.h"
#include "tfjit/summary.h"

TFJIT_API_BEGIN
namespace tf::keras {

class Model;
// Metric values by name ("loss", "accuracy", "val_loss", ...), as Keras' logs.
using Logs = std::map<std::string, double>;

namespace callbacks {
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(const Logs&) {}
  virtual void on_train_end(const Logs&) {}
  virtual void on_epoch_begin(int64_t /*epoch*/, const Logs&) {}
  virtual void on_epoch_end(int64_t /*epoch*/, const Logs&) {}
  virtual void on_train_batch_end(int64_t /*batch*/, const Logs&) {}
  // Set by fit before on_train_begin.
  Model* model = nullptr;
};
// Stops training when `monitor` stops improving by min_delta for `patience` epochs; optionally
// restores the weights of the best epoch.
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int64_t patience = 0;
  std::string mode = "auto";  // "min", "max", or "auto" (max for accuracy-like names)
  bool restore_best_weights = false;
  int64_t start_from_epoch = 0;
};
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;
  int64_t stopped_epoch() const { return stopped_epoch_; }

 private:
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  double best_ = 0;
  int64_t wait_ = 0, stopped_epoch_ = -1;
  std::vector<Tensor> best_weights_;
};
// Sets the optimizer's learning rate at each epoch's start to schedule(epoch, current rate).
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int64_t epoch, double lr)> schedule)
      : schedule_(std::move(schedule)) {}
  void on_epoch_begin(int64_t epoch, const Logs&) override;

 private:
  std::function<double(int64_t, double)> schedule_;
};
// Any of the hooks as lambdas (Keras' LambdaCallback).
class LambdaCallback : public Callback {
 public:
  std::function<void(int64_t, const Logs&)> on_epoch_begin_fn, on_epoch_end_fn, on_batch_end_fn;
  std::function<void(const Logs&)> on_train_begin_fn, on_train_end_fn;
  void on_train_begin(const Logs& logs) override {
    if (on_train_begin_fn) on_train_begin_fn(logs);
  }
  void on_train_end(const Logs& logs) override {
    if (on_train_end_fn) on_train_end_fn(logs);
  }
  void on_epoch_begin(int64_t e, const Logs& logs) override {
    if (on_epoch_begin_fn) on_epoch_begin_fn(e, logs);
  }
  void on_epoch_end(int64_t e, const Logs& logs) override {
    if (on_epoch_end_fn) on_epoch_end_fn(e, logs);
  }
  void on_train_batch_end(int64_t b, const Logs& logs) override {
    if (on_batch_end_fn) on_batch_end_fn(b, logs);
  }
};
// Saves the model's weights (save_weights) at the end of each epoch, or only when `monitor`
// improved (save_best_only). `filepath` may hold "{epoch}" or "{epoch:02d}" (1-based).
struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  bool save_best_only = false;
  std::string mode = "auto";  // "min", "max", or "auto" (max for accuracy-like names)
};
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;

 private:
  std::string filepath_;
  ModelCheckpointOptions options_;
  bool maximize_ = false;
  double best_ = 0;
};
// TensorBoard's event files: each epoch's logs as scalars "epoch_<name>" in <log_dir>/train and
// (val_ logs) <log_dir>/validation, the learning rate too; with histogram_freq N, each weight's
// histogram every N epochs.
class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::string log_dir = "logs", int64_t histogram_freq = 0);
  void on_train_begin(const Logs&) override;
  void on_epoch_end(int64_t epoch, const Logs& logs) override;
  void on_train_end(const Logs&) override;

 private:
  std::string log_dir_;
  int64_t histogram_freq_;
  summary::SummaryWriter train_, validation_;
};
}  // namespace callbacks

// What fit returns: per epoch, each log value (Keras' History.history), and the epochs run.
struct History {
  std::map<std::string, std::vector<double>> history;
  std::vector<int64_t> epoch;
};

// A metric for compile: a Keras name ("accuracy"/"acc" resolves from the shapes of labels and
// predictions, as Keras does;
// "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy", "mse", "mae", "auc")
// or a metric object (shared: its state is the model's).
class MetricSpec {
 public:
  MetricSpec(const char* name) : name_(name) {}
  MetricSpec(std::string name) : name_(std::move(name)) {}
  template <class M>
  requires std::is_base_of_v<metrics::Metric, M> MetricSpec(const M& metric)
      : metric_(metric.clone()) {}
  const std::string& name() const { return name_; }
  const std::shared_ptr<metrics::Metric>& metric() const { return metric_; }

 private:
  std::string name_;
  std::shared_ptr<metrics::Metric> metric_;
};

struct CompileOptions {
  bool run_eagerly = false;  // true: the steps run op by op (no tf::function)
  // Passed to the steps' tf::function (library calls, fusion switches).
  FunctionOptions function_options = {};
};

struct FitOptions {
  int64_t batch_size = 32;
  int64_t epochs = 1;
  // 0 silent, 1 progress bar (updated in place on a terminal), 2 one line per epoch; -1 (Keras'
  // "auto"): 1 on a terminal, 2 otherwise.
  int verbose = -1;
  // The last fraction of the samples (before shuffling) held out for validation, as Keras.
  double validation_split = 0;
  std::optional<std::pair<Tensor, Tensor>> validation_data = std::nullopt;
  bool shuffle = true;  // a new order each epoch, from tf::random's global generator
  std::vector<std::shared_ptr<callbacks::Callback>> callbacks = {};
  int64_t initial_epoch = 0;
  // fit on a dataset (its elements are (x, y) batches; batch_size, shuffle and validation_split
  // do not apply). Validation on another dataset, a full pass (or validation_steps batches)
  // after each epoch.
  std::optional<data::Dataset> validation_dataset = std::nullopt;
  // Batches per epoch, drawn from one iterator that continues across epochs (as Keras); unset:
  // one full pass per epoch, a new iterator (so a new shuffle) each epoch. An infinite dataset
  // (repeat()) needs it.
  std::optional<int64_t> steps_per_epoch = std::nullopt;
  std::optional<int64_t> validation_steps = std::nullopt;
};
struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = -1;
  std::optional<int64_t> steps = std::nullopt;  // on a dataset: at most this many batches
};
struct PredictOptions {
  int64_t batch_size = 32;
  int verbose = 0;
};

namespace detail {
struct ModelState;
class ProgressBar;
}  // namespace detail

class Model : public Layer {
 public:
  explicit Model(std::string name = "");
  // Keras' functional model: the layers called from `inputs` (tf::keras::Input placeholders) to
  // `output`, run on the inputs given at each call (a list for several inputs).
  Model(const std::vector<Tensor>& inputs, const Tensor& output, std::string name = "");
  Model(const Tensor& input, const Tensor& output, std::string name = "")
      : Model(std::vector<Tensor>{input}, output, std::move(name)) {}
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_list(const std::vector<Tensor>& inputs, bool training) override;
  std::shared_ptr<Layer> clone() const override;

  // The model's variables: to "<path>.safetensors" (what PyTorch, JAX and MLX read) named by
  // structure as PyTorch's state_dict ("0.kernel", "1.bias": sub-layers by position), or else as a
  // TensorFlow checkpoint at prefix `path` (tf.train.Checkpoint(model=...) reads it). load_weights
  // assigns them back into any model of the same architecture; InvalidArgumentError naming a
  // weight missing, unexpected or of another shape.
  //
  // With WeightsLayout::kPyTorch, a .safetensors file holds what a torch.nn.Sequential of the
  // same layers has in its state_dict: "0.weight" (a Dense kernel transposed to Linear's (out,
  // in), a convolution's to (out, in, spatial...), a transposed one's to (in, out, spatial...)),
  // "0.bias", BatchNormalization's "weight", "bias", "running_mean", "running_var" (and a
  // num_batches_tracked of 0 on saving), Embedding's "weight". Activations count as layers, as
  // nn.ReLU does. Inputs stay channels-last: a model that flattens convolution outputs orders its
  // features differently from PyTorch's.
  enum class WeightsLayout { kKeras, kPyTorch };
  void save_weights(const std::string& path, WeightsLayout layout = WeightsLayout::kKeras) const;
  void load_weights(const std::string& path, WeightsLayout layout = WeightsLayout::kKeras);

  // Keeps a copy of `optimizer` (sharing its state: its iterations and slots are the ones
  // training updates) and of `loss`; a new compile makes new steps.
  template <class O>
  requires std::is_base_of_v<optimizers::Optimizer, O>
  void compile(const O& optimizer, const losses::Loss& loss, std::vector<MetricSpec> metrics = {},
               CompileOptions options = {}) {
    compile_shared(std::make_shared<O>(optimizer), loss.clone(), std::move(metrics),
                   std::move(options));
  }
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  // fit on a dataset of (x, y) batches: each epoch is a pass over it (or steps_per_epoch
  // batches); the progress bar counts "12/Unknown" when its cardinality is unknown.
  History fit(const data::Dataset& dataset, FitOptions options = {});
  Logs evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  Logs evaluate(const data::Dataset& dataset, EvaluateOptions options = {});
  Tensor predict(const Tensor& x, PredictOptions options = {});
  // One step on one batch: the logs (loss and metrics since the last reset).
  Logs train_on_batch(const Tensor& x, const Tensor& y);
  Logs test_on_batch(const Tensor& x, const Tensor& y);

  optimizers::Optimizer& optimizer() const;
  std::vector<std::shared_ptr<metrics::Metric>> metrics() const;  // the loss tracker first
  bool stop_training = false;  // set by callbacks (EarlyStopping) to end fit after this epoch

  // Keras' summary table: each tracked layer, its type, output shape of its latest call, and
  // its parameter count; then the totals.
  void summary(std::ostream& os) const;
  void summary() const;

 protected:
  Model(std::string name, std::string_view base);
  detail::ModelState& model_state() const;

 private:
  void compile_shared(std::shared_ptr<optimizers::Optimizer> optimizer,
                      std::shared_ptr<losses::Loss> loss, std::vector<MetricSpec> metrics,
                      CompileOptions options);
  void make_steps();  // the traced steps, made for this object
  void make_predict_step();
  Logs logs_of(const std::vector<Tensor>& results) const;
  // One pass over (x, y) in batches (rows in `order` if given) through the train or test step.
  Logs run_epoch(const Tensor& x, const Tensor& y, const Tensor& order, int64_t batch_size,
                 bool train, detail::ProgressBar& bar,
                 const std::vector<callbacks::Callback*>& callbacks);
  // Up to max_steps (-1: all) (x, y) batches from `it` through the train or test step; `done`
  // gets the number run. Under a strategy each batch is global and sharded, unless the dataset's
  // elements are already per replica (`per_replica`).
  Logs run_iterator(data::Iterator& it, int64_t max_steps, bool train, detail::ProgressBar& bar,
                    const std::vector<callbacks::Callback*>& callbacks, const char* method,
                    int64_t& done, bool per_replica);
};

// A stack of layers, each called on the previous one's output.
class Sequential : public Model {
 public:
  // Holds any layer by value (a copy that shares the layer's weights).
  class LayerRef {
   public:
    template <class L>
    requires std::is_base_of_v<Layer, L> LayerRef(L layer)
        : layer_(std::make_shared<L>(std::move(layer))) {}
    const std::shared_ptr<Layer>& get() const { return layer_; }

   private:
    std::shared_ptr<Layer> layer_;
  };
  explicit Sequential(std::vector<LayerRef> layers = {}, std::string name = "");
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Sequential>(*this); }
  void add(LayerRef layer);
  Tensor call(const Tensor& x, bool training) override;
  std::vector<std::shared_ptr<Layer>> layers() const;
  // Builds every layer for inputs of `input_shape` (batch dim included, may be tf::unknown).
  void build(const TensorShape& input_shape) override;
};

}  // namespace tf::keras
TFJIT_API_END
