// What a tf::Module's copies share: its name, variables and sub-modules.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tfjit/variable.h"

namespace tf::detail {

struct ModuleState {
  virtual ~ModuleState() = default;  // Keras layers extend it (frontend/src/keras/layer_state.h)
  std::string name;
  bool trainable = true;  // false: every variable below is listed as non-trainable (Keras)
  std::vector<std::pair<std::string, Variable>> variables;  // (attribute, variable)
  std::vector<std::pair<std::string, std::shared_ptr<ModuleState>>> children;
  // Where a tracked child appears in a checkpoint's object graph when not at its attribute:
  // '/'-separated local names (Keras' Python attributes: "_kernel", "_functional/_operations/1").
  std::map<std::string, std::vector<std::vector<std::string>>> checkpoint_paths;
};

}  // namespace tf::detail
