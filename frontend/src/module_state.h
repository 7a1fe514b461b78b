// What a tf::Module's copies share: its name, variables and sub-modules.
#pragma once

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
};

}  // namespace tf::detail
