// What a Keras model's copies share: the compiled configuration and its traced steps.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "frontend/src/distribute/distribute_internal.h"
#include "frontend/src/keras/functional.h"
#include "frontend/src/keras/layer_state.h"
#include "tfjit/keras/model.h"

namespace tf::keras::detail {

// A step of fit/evaluate/predict on one batch: tensors in, the step's results out.
using Step = std::function<std::vector<Tensor>(const std::vector<Tensor>& batch)>;

struct ModelState : LayerState {
  std::shared_ptr<optimizers::Optimizer> optimizer;
  std::shared_ptr<losses::Loss> loss;
  std::shared_ptr<metrics::Mean> loss_tracker;
  std::vector<std::shared_ptr<metrics::Metric>> metrics;
  CompileOptions options;
  // The strategy of the scope the model was created or compiled in (null: none), as Keras
  // records it: fit shards each batch over its replicas and all-reduces the gradients.
  std::shared_ptr<distribute::detail::StrategyImpl> strategy = distribute::detail::scope_strategy();
  // The steps, made for the Model object that runs them (`owner`): a step calls its call().
  const Model* owner = nullptr;
  const Model* predict_owner = nullptr;
  Step train_step, test_step, predict_step;
  std::vector<std::shared_ptr<Layer>> sequence;       // Sequential's layers
  std::shared_ptr<const FunctionalGraph> functional;  // a functional model's graph
};

}  // namespace tf::keras::detail
