// Model.save_weights / load_weights (TensorFlow checkpoints or safetensors) and the callbacks
// that write files: ModelCheckpoint, TensorBoard.
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "tfjit/interop.h"
#include "tfjit/keras/model.h"
#include "tfjit/train.h"

namespace tf::keras {

namespace {
bool is_safetensors(const std::string& path) {
  const std::string suffix = ".safetensors";
  return path.size() >= suffix.size() && path.ends_with(suffix);
}

// The weights by structural name, as PyTorch's state_dict names them: sub-modules by position,
// variables by attribute ("0.kernel", "1.bias", "2.0.gamma"), so any instance of the same
// architecture matches whatever its layers are called.
void structural_names(const Module& m, const std::string& prefix,
                      std::vector<std::pair<std::string, Variable>>& out,
                      std::set<const void*>& seen) {
  for (const auto& [attribute, v] : m.tracked_variables())
    if (seen.insert(v.impl().get()).second) out.emplace_back(prefix + attribute, v);
  auto modules = m.tracked_modules();
  for (size_t i = 0; i < modules.size(); ++i)
    structural_names(modules[i].second, prefix + std::to_string(i) + ".", out, seen);
}
std::vector<std::pair<std::string, Variable>> structural_names(const Module& m) {
  std::vector<std::pair<std::string, Variable>> out;
  std::set<const void*> seen;
  structural_names(m, "", out, seen);
  return out;
}
}  // namespace

void Model::save_weights(const std::string& path) const {
  if (path.empty()) throw InvalidArgumentError("Model.save_weights: empty path");
  if (!is_safetensors(path)) {
    train::Checkpoint({{"model", *this}}).write(path);
    return;
  }
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [key, v] : structural_names(*this)) tensors.emplace_back(key, v.read_value());
  save_safetensors(path, tensors, {{"format", "tfjit"}, {"model", name()}});
}

void Model::load_weights(const std::string& path) {
  if (!is_safetensors(path)) {
    train::LoadStatus status = train::Checkpoint({{"model", *this}}).read(path);
    if (!status.missing.empty() || !status.unused_keys.empty()) {
      std::string what =
          "Model.load_weights: '" + path + "' does not match model '" + name() + "':";
      for (const auto& k : status.missing) what += " missing " + k + ";";
      for (const auto& k : status.unused_keys) what += " unexpected " + k + ";";
      throw InvalidArgumentError(what);
    }
    return;
  }
  std::map<std::string, Tensor> stored;
  for (auto& [name, t] : load_safetensors(path)) stored.emplace(name, t);
  auto vars = structural_names(*this);
  std::string problems;
  for (const auto& [key, v] : vars) {
    auto it = stored.find(key);
    if (it == stored.end())
      problems += " missing " + key + ";";
    else if (it->second.shape() != v.shape() || it->second.dtype() != v.dtype())
      problems += " " + key + " is " + it->second.shape().to_string() + " " +
                  std::string(dtype_name(it->second.dtype())) + " in the file, " +
                  v.shape().to_string() + " " + std::string(dtype_name(v.dtype())) +
                  " in the model;";
  }
  if (stored.size() != vars.size())
    problems += " the file holds " + std::to_string(stored.size()) + " tensors for " +
                std::to_string(vars.size()) + " weights;";
  if (!problems.empty())
    throw InvalidArgumentError("Model.load_weights: '" + path + "' does not match model '" +
                               name() + "':" + problems);
  for (auto& [key, v] : vars) v.assign(stored.at(key));
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
