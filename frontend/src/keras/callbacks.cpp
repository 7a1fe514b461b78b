// Keras' callbacks: EarlyStopping, LearningRateScheduler.
#include <cmath>
#include <iostream>
#include <limits>

#include "tfjit/keras/model.h"

namespace tf::keras::callbacks {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.mode != "auto" && options_.mode != "min" && options_.mode != "max")
    throw InvalidArgumentError("EarlyStopping: mode must be auto, min or max, got '" +
                               options_.mode + "'");
  if (options_.patience < 0) throw InvalidArgumentError("EarlyStopping: patience must be >= 0");
  const std::string& m = options_.monitor;
  maximize_ = options_.mode == "max" ||
              (options_.mode == "auto" &&
               (m.find("acc") != std::string::npos || m.find("auc") != std::string::npos));
}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = 0;
  stopped_epoch_ = -1;
  best_ = maximize_ ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int64_t epoch, const Logs& logs) {
  auto it = logs.find(options_.monitor);
  if (it == logs.end()) {
    std::cerr << "WARNING: EarlyStopping conditioned on metric `" << options_.monitor
              << "` which is not available.\n";
    return;
  }
  if (epoch < options_.start_from_epoch) return;
  const double current = it->second;
  ++wait_;
  bool improved =
      maximize_ ? current - options_.min_delta > best_ : current + options_.min_delta < best_;
  if (improved) {
    best_ = current;
    if (options_.restore_best_weights && model) best_weights_ = model->get_weights();
    wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    if (model) model->stop_training = true;
  }
}

// Keras 3 restores the best weights when training ends, stopped early or not.
void EarlyStopping::on_train_end(const Logs&) {
  if (options_.restore_best_weights && !best_weights_.empty() && model)
    model->set_weights(best_weights_);
}

void LearningRateScheduler::on_epoch_begin(int64_t epoch, const Logs&) {
  if (!model) return;
  auto& opt = model->optimizer();
  double lr = schedule_(epoch, static_cast<double>(opt.learning_rate().item<float>()));
  opt.set_learning_rate(lr);
}

}  // namespace tf::keras::callbacks
