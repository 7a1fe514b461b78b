// Model.save_weights / load_weights (TensorFlow checkpoints or safetensors) and the callbacks
// that write files: ModelCheckpoint, TensorBoard.
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "frontend/src/distribute/distribute_internal.h"
#include "frontend/src/keras/layer_state.h"
#include "tfjit/creation.h"
#include "tfjit/interop.h"
#include "tfjit/keras/model.h"
#include "tfjit/ops.h"
#include "tfjit/train.h"

namespace tf::keras {

namespace {
bool is_safetensors(const std::string& path) {
  const std::string suffix = ".safetensors";
  return path.size() >= suffix.size() && path.ends_with(suffix);
}

// A weight by structural name, as PyTorch's state_dict names them: sub-modules by position,
// variables by attribute ("0.kernel", "1.bias", "2.0.gamma"), so any instance of the same
// architecture matches whatever its layers are called.
struct NamedWeight {
  std::string prefix, attribute;  // "2.0.", "kernel"
  Variable variable;
  std::string layer_type;  // the owning layer's kind ("dense", ...), empty for a plain module
};
void collect(const Module& m, const std::string& prefix, std::vector<NamedWeight>& out,
             std::set<const void*>& seen) {
  const auto* layer = dynamic_cast<const detail::LayerState*>(m.state().get());
  for (const auto& [attribute, v] : m.tracked_variables())
    if (seen.insert(v.impl().get()).second)
      out.push_back({prefix, attribute, v, layer ? layer->type : ""});
  auto modules = m.tracked_modules();
  for (size_t i = 0; i < modules.size(); ++i)
    collect(modules[i].second, prefix + std::to_string(i) + ".", out, seen);
}
std::vector<NamedWeight> named_weights(const Module& m) {
  std::vector<NamedWeight> out;
  std::set<const void*> seen;
  collect(m, "", out, seen);
  return out;
}

// PyTorch's name and layout of a Keras weight: torch.nn's attribute, and the permutation taking
// the Keras array to PyTorch's (Linear and Conv weights are (out, in, spatial...)).
struct TorchWeight {
  std::string name;
  std::vector<int64_t> perm;  // empty: the same layout
  bool depthwise = false;     // (h, w, in, mult) <-> (in * mult, 1, h, w)
};
TorchWeight torch_weight(const NamedWeight& w) {
  const std::string& t = w.layer_type;
  const std::string& a = w.attribute;
  const int64_t rank = w.variable.shape().rank();
  if (a == "bias" && t != "batch_normalization" && t != "layer_normalization") return {"bias", {}};
  if (t == "dense" && a == "kernel") return {"weight", {1, 0}};
  if ((t == "conv1d" || t == "conv2d" || t == "conv3d") && a == "kernel") {
    std::vector<int64_t> perm{rank - 1, rank - 2};
    for (int64_t i = 0; i < rank - 2; ++i) perm.push_back(i);
    return {"weight", perm};
  }
  if (t == "conv2d_transpose" && a == "kernel") return {"weight", {3, 2, 0, 1}};
  if (t == "depthwise_conv2d" && a == "kernel") return {"weight", {}, true};
  if (t == "embedding" && a == "embeddings") return {"weight", {}};
  if (t == "batch_normalization" || t == "layer_normalization") {
    static const std::map<std::string, std::string> names = {{"gamma", "weight"},
                                                             {"beta", "bias"},
                                                             {"moving_mean", "running_mean"},
                                                             {"moving_variance", "running_var"}};
    if (auto it = names.find(a); it != names.end()) return {it->second, {}};
  }
  throw UnimplementedError("save_weights/load_weights: no PyTorch layout for weight '" + a +
                           "' of a '" + t + "' layer");
}

Tensor to_torch(const TorchWeight& tw, const Tensor& keras) {
  if (tw.depthwise) {  // (h, w, c, m) -> (c * m, 1, h, w)
    const auto& s = keras.shape();
    Tensor flat = reshape(keras, {s[0], s[1], s[2] * s[3]});
    return expand_dims(transpose(flat, {2, 0, 1}), 1);
  }
  return tw.perm.empty() ? keras : transpose(keras, tw.perm);
}

Tensor from_torch(const TorchWeight& tw, const Tensor& torch, const TensorShape& keras) {
  if (tw.depthwise) {
    Tensor squeezed = squeeze(torch, {1});
    return reshape(transpose(squeezed, {1, 2, 0}), keras.dims());
  }
  if (tw.perm.empty()) return torch;
  std::vector<int64_t> inverse(tw.perm.size());
  for (size_t i = 0; i < tw.perm.size(); ++i) inverse[tw.perm[i]] = static_cast<int64_t>(i);
  return transpose(torch, inverse);
}

// The file's name for each weight, and its value as the file holds it.
std::string file_name(const NamedWeight& w, Model::WeightsLayout layout) {
  return w.prefix + (layout == Model::WeightsLayout::kPyTorch ? torch_weight(w).name : w.attribute);
}
}  // namespace

void Model::save_weights(const std::string& path, WeightsLayout layout) const {
  if (path.empty()) throw InvalidArgumentError("Model.save_weights: empty path");
  if (!is_safetensors(path)) {
    if (layout != WeightsLayout::kKeras)
      throw InvalidArgumentError(
          "Model.save_weights: the PyTorch layout is for .safetensors files");
    train::Checkpoint({{"model", *this}}).write(path);
    return;
  }
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const NamedWeight& w : named_weights(*this)) {
    Tensor value = w.variable.read_value();
    if (layout == WeightsLayout::kPyTorch) {
      TorchWeight tw = torch_weight(w);
      tensors.emplace_back(w.prefix + tw.name, to_torch(tw, value));
      if (tw.name == "running_var")  // what PyTorch's BatchNorm also keeps
        tensors.emplace_back(w.prefix + "num_batches_tracked", constant(int64_t{0}));
    } else {
      tensors.emplace_back(w.prefix + w.attribute, value);
    }
  }
  distribute::detail::chief_writes([&] {
    save_safetensors(path, tensors,
                     {{"format", layout == WeightsLayout::kPyTorch ? "pt" : "tfjit"}});
  });
}

void Model::load_weights(const std::string& path, WeightsLayout layout) {
  if (!is_safetensors(path)) {
    if (layout != WeightsLayout::kKeras)
      throw InvalidArgumentError(
          "Model.load_weights: the PyTorch layout is for .safetensors files");
    train::Checkpoint({{"model", *this}}).read(path, /*require_match=*/true);
    return;
  }
  std::map<std::string, Tensor> stored;
  for (auto& [key, t] : load_safetensors(path))
    if (layout != WeightsLayout::kPyTorch || !key.ends_with("num_batches_tracked"))
      stored.emplace(key, t);
  auto weights = named_weights(*this);
  std::vector<Tensor> values;
  std::string problems;
  for (const NamedWeight& w : weights) {
    const std::string key = file_name(w, layout);
    auto it = stored.find(key);
    if (it == stored.end()) {
      problems += " missing " + key + ";";
      values.emplace_back();
      continue;
    }
    Tensor value = it->second;
    if (layout == WeightsLayout::kPyTorch) {
      TorchWeight tw = torch_weight(w);
      // The file's shape must be PyTorch's for this weight before it is laid out as Keras'.
      Tensor expected = to_torch(tw, zeros(w.variable.shape(), w.variable.dtype()));
      if (value.shape() == expected.shape()) value = from_torch(tw, value, w.variable.shape());
    }
    if (value.shape() != w.variable.shape() || value.dtype() != w.variable.dtype())
      problems += " " + key + " is " + it->second.shape().to_string() + " " +
                  std::string(dtype_name(it->second.dtype())) + " in the file, " +
                  w.variable.shape().to_string() + " " +
                  std::string(dtype_name(w.variable.dtype())) + " in the model;";
    values.push_back(value);
  }
  if (stored.size() != weights.size())
    problems += " the file holds " + std::to_string(stored.size()) + " tensors for " +
                std::to_string(weights.size()) + " weights;";
  if (!problems.empty())
    throw InvalidArgumentError("Model.load_weights: '" + path + "' does not match model '" +
                               name() + "':" + problems);
  for (size_t i = 0; i < weights.size(); ++i) weights[i].variable.assign(values[i]);
}

namespace callbacks {

namespace {
bool maximizes(const std::string& mode, const std::string& monitor) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  if (mode != "auto") throw InvalidArgumentError("callback: mode must be auto, min or max");
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos;
}

// Keras' filepath formatting: {epoch} and {epoch:0Nd} with the 1-based epoch.
std::string format_path(const std::string& pattern, int64_t epoch) {
  static const std::regex field(R"(\{epoch(?::0?(\d+)d)?\})");
  std::string out;
  auto begin = pattern.cbegin();
  for (std::sregex_iterator it(pattern.begin(), pattern.end(), field), end; it != end; ++it) {
    out.append(begin, pattern.cbegin() + it->position());
    std::string n = std::to_string(epoch + 1);
    size_t width = (*it)[1].matched ? std::stoul((*it)[1].str()) : 0;
    if (n.size() < width) n.insert(0, width - n.size(), '0');
    out += n;
    begin = pattern.cbegin() + it->position() + it->length();
  }
  out.append(begin, pattern.cend());
  return out;
}
}  // namespace

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)),
      options_(std::move(options)),
      maximize_(maximizes(options_.mode, options_.monitor)) {
  if (filepath_.empty()) throw InvalidArgumentError("ModelCheckpoint: empty filepath");
}

void ModelCheckpoint::on_train_begin(const Logs&) {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
}

void ModelCheckpoint::on_epoch_end(int64_t epoch, const Logs& logs) {
  if (!model) return;
  if (options_.save_best_only) {
    auto it = logs.find(options_.monitor);
    if (it == logs.end()) {
      std::cerr << "WARNING: Can save best model only with " << options_.monitor
                << " available, skipping.\n";
      return;
    }
    if (!(maximize_ ? it->second > best_ : it->second < best_)) return;
    best_ = it->second;
  }
  model->save_weights(format_path(filepath_, epoch));
}

TensorBoard::TensorBoard(std::string log_dir, int64_t histogram_freq)
    : log_dir_(std::move(log_dir)), histogram_freq_(histogram_freq) {
  if (histogram_freq < 0) throw InvalidArgumentError("TensorBoard: histogram_freq must be >= 0");
}

void TensorBoard::on_train_begin(const Logs&) {
  train_ = summary::create_file_writer(log_dir_ + "/train");
  validation_ = summary::create_file_writer(log_dir_ + "/validation");
}

void TensorBoard::on_epoch_end(int64_t epoch, const Logs& logs) {
  bool any_validation = false;
  {
    auto scope = train_.as_default();
    for (const auto& [name, value] : logs)
      if (!name.starts_with("val_")) summary::scalar("epoch_" + name, value, epoch);
    if (model) {
      summary::scalar("epoch_learning_rate", model->optimizer().learning_rate(), epoch);
      if (histogram_freq_ > 0 && epoch % histogram_freq_ == 0)
        for (const Variable& v : model->weights())
          summary::histogram(v.name(), v.read_value(), epoch);
    }
  }
  {
    auto scope = validation_.as_default();
    for (const auto& [name, value] : logs)
      if (name.starts_with("val_")) {
        summary::scalar("epoch_" + name.substr(4), value, epoch);
        any_validation = true;
      }
  }
  train_.flush();
  if (any_validation) validation_.flush();
}

void TensorBoard::on_train_end(const Logs&) {
  train_.close();
  validation_.close();
}

}  // namespace callbacks
}  // namespace tf::keras
