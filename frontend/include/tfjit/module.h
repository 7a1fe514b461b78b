// tf::Module: a named container of variables and sub-modules, as TensorFlow's tf.Module. Keras
// layers, models and optimizers are modules; checkpoints and summaries name variables by it.
//
//   class Affine : public tf::Module {
//    public:
//     Affine() : tf::Module("affine") {
//       w_ = add_variable("w", tf::random::normal({3, 2}));   // tracked as "affine/w"
//     }
//   };
//   Affine m;  m.trainable_variables();   // {<tf.Variable 'affine/w:0' ...>}
//
// A module's state (its variables and sub-modules) lives in one shared object, so copies of a
// module are the same module, as Python references to one object are. Sub-modules are tracked by
// add_module, or automatically: a Keras layer called inside another layer's call becomes its
// sub-module (see tfjit/keras/layer.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tfjit/export.h"
#include "tfjit/tensor.h"
#include "tfjit/variable.h"

TFJIT_API_BEGIN
namespace tf {

namespace detail {
struct ModuleState;
}

class Module {
 public:
  // An empty name becomes "module"; names are not made unique here (Keras layers are).
  explicit Module(std::string name = "");
  virtual ~Module();
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;

  const std::string& name() const;
  // Own variables first, then each sub-module's, depth-first in tracking order; each once.
  std::vector<Variable> variables() const;
  std::vector<Variable> trainable_variables() const;
  std::vector<Variable> non_trainable_variables() const;
  // Every module below this one, depth-first in tracking order; each once.
  std::vector<Module> submodules() const;

  // The tracked children by the names they were tracked under (what checkpoints use as paths).
  const std::vector<std::pair<std::string, Variable>>& tracked_variables() const;
  std::vector<std::pair<std::string, Module>> tracked_modules() const;

  // Tracks `variable` under `attribute` (named "<module name>/<attribute>" when created by
  // add_variable). Tracking the same variable twice keeps one entry.
  Variable add_variable(const std::string& attribute, const Tensor& initial_value,
                        bool trainable = true);
  void track_variable(const std::string& attribute, const Variable& variable);
  // Tracks `child` (sharing its state) under `attribute` (default: its name); once per module.
  void add_module(const Module& child, std::string attribute = "");
  bool same_module(const Module& other) const { return state_ == other.state_; }
  // Makes the child tracked as `attribute` appear in checkpoints at these object paths
  // ('/'-separated local names) instead of at `attribute`: how Keras' Python objects name it, so
  // TensorFlow reads tfjit's checkpoints into its models and back.
  void set_checkpoint_paths(const std::string& attribute, std::vector<std::string> paths);
  // The paths of the child tracked as `attribute`, each a list of local names ({{attribute}}
  // unless set).
  std::vector<std::vector<std::string>> checkpoint_paths(const std::string& attribute) const;

  // The shared state (opaque outside tfjit): what copies of this module have in common.
  const std::shared_ptr<detail::ModuleState>& state() const { return state_; }

 protected:
  explicit Module(std::shared_ptr<detail::ModuleState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::ModuleState> state_;
};

// TensorFlow's tf.init_scope: for the scope's lifetime, ops run eagerly even while a
// tf::function traces, and no tape records. Variables (a layer's weights, an optimizer's slots)
// are created this way when first needed inside a traced function.
class init_scope {
 public:
  init_scope();
  ~init_scope();
  init_scope(const init_scope&) = delete;
  init_scope& operator=(const init_scope&) = delete;

 private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace tf
TFJIT_API_END
