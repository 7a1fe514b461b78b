// What a Keras layer's copies share, beyond a module's name, variables and sub-modules.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "frontend/src/module_state.h"
#include "tfjit/keras/layer.h"

namespace tf::keras::detail {

struct LayerState : tf::detail::ModuleState {
  bool built = false;
  bool building_in_call = false;  // build() runs from the first call (not from the user)
  std::string type;               // the layer's kind ("dense", ...), for summaries
  TensorShape output_shape;       // of the latest call, for summaries
  std::vector<std::pair<Variable, Regularizer>> regularizers;
};

}  // namespace tf::keras::detail

namespace tf::keras::detail {
// The constraint add_weight was given for a variable (constraint_of reads it).
void set_constraint(const Variable& variable, Constraint constraint);
}  // namespace tf::keras::detail
