// tf::Module and tf::init_scope.
#include "tfjit/module.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "frontend/src/module_state.h"
#include "frontend/src/tape.h"
#include "frontend/src/trace.h"

namespace tf {

using detail::ModuleState;

Module::Module(std::string name) : state_(std::make_shared<ModuleState>()) {
  state_->name = name.empty() ? "module" : std::move(name);
}
Module::~Module() = default;

const std::string& Module::name() const { return state_->name; }

namespace {
// Each variable once, with whether it trains: its own flag, unless a module above is frozen.
struct Collected {
  Variable variable;
  bool trainable;
};
void collect(const ModuleState& m, bool frozen, std::unordered_set<const ModuleState*>& modules,
             std::unordered_set<const void*>& seen, std::vector<Collected>& out) {
  if (!modules.insert(&m).second) return;
  frozen = frozen || !m.trainable;
  for (const auto& [attribute, v] : m.variables)
    if (seen.insert(v.impl().get()).second) out.push_back({v, v.trainable() && !frozen});
  for (const auto& [attribute, child] : m.children) collect(*child, frozen, modules, seen, out);
}
std::vector<Variable> variables_of(const ModuleState& m, std::optional<bool> trainable) {
  std::unordered_set<const ModuleState*> modules;
  std::unordered_set<const void*> seen;
  std::vector<Collected> all;
  collect(m, false, modules, seen, all);
  std::vector<Variable> out;
  for (auto& c : all)
    if (!trainable || c.trainable == *trainable) out.push_back(std::move(c.variable));
  return out;
}
}  // namespace

std::vector<Variable> Module::variables() const { return variables_of(*state_, std::nullopt); }
std::vector<Variable> Module::trainable_variables() const { return variables_of(*state_, true); }
std::vector<Variable> Module::non_trainable_variables() const {
  return variables_of(*state_, false);
}

std::vector<Module> Module::submodules() const {
  std::vector<Module> out;
  std::unordered_set<const ModuleState*> seen{state_.get()};
  auto visit = [&](auto& self, const ModuleState& m) -> void {
    for (const auto& [attribute, child] : m.children)
      if (seen.insert(child.get()).second) {
        out.push_back(Module(child));
        self(self, *child);
      }
  };
  visit(visit, *state_);
  return out;
}

const std::vector<std::pair<std::string, Variable>>& Module::tracked_variables() const {
  return state_->variables;
}

std::vector<std::pair<std::string, Module>> Module::tracked_modules() const {
  std::vector<std::pair<std::string, Module>> out;
  for (const auto& [attribute, child] : state_->children)
    out.emplace_back(attribute, Module(child));
  return out;
}

Variable Module::add_variable(const std::string& attribute, const Tensor& initial_value,
                              bool trainable) {
  init_scope eager;  // a variable's initial value is concrete even when created while tracing
  Variable v(initial_value, state_->name + "/" + attribute, trainable);
  track_variable(attribute, v);
  return v;
}

void Module::track_variable(const std::string& attribute, const Variable& variable) {
  for (const auto& [name, v] : state_->variables) {
    if (v.impl() == variable.impl()) return;
    if (name == attribute)
      throw InvalidArgumentError("Module '" + state_->name + "' already tracks a variable as '" +
                                 attribute + "'");
  }
  state_->variables.emplace_back(attribute, variable);
}

void Module::add_module(const Module& child, std::string attribute) {
  if (child.state_ == state_)
    throw InvalidArgumentError("Module::add_module: '" + name() + "' cannot contain itself");
  for (const auto& [name, c] : state_->children) {
    if (c == child.state_) return;
    if (name == (attribute.empty() ? child.name() : attribute))
      throw InvalidArgumentError("Module '" + state_->name + "' already tracks a module as '" +
                                 name + "' (names must be unique)");
  }
  state_->children.emplace_back(attribute.empty() ? child.name() : std::move(attribute),
                                child.state_);
}

void Module::set_checkpoint_paths(const std::string& attribute, std::vector<std::string> paths) {
  std::vector<std::vector<std::string>> split;
  for (const std::string& path : paths) {
    std::vector<std::string> names{""};
    for (char c : path)
      if (c == '/')
        names.emplace_back();
      else
        names.back() += c;
    if (std::ranges::any_of(names, [](const std::string& n) { return n.empty(); }))
      throw InvalidArgumentError("Module::set_checkpoint_paths: empty local name in '" + path +
                                 "'");
    split.push_back(std::move(names));
  }
  state_->checkpoint_paths[attribute] = std::move(split);
}

std::vector<std::vector<std::string>> Module::checkpoint_paths(const std::string& attribute) const {
  auto it = state_->checkpoint_paths.find(attribute);
  if (it != state_->checkpoint_paths.end()) return it->second;
  return {{attribute}};
}

struct init_scope::Saved {
  Saved() : trace(detail::TraceContext::exchange_current(nullptr)) {}
  ~Saved() { detail::TraceContext::exchange_current(trace); }
  Saved(const Saved&) = delete;
  Saved& operator=(const Saved&) = delete;
  detail::TraceContext* trace;
  detail::TapesAside tapes{false};
};

init_scope::init_scope() : saved_(std::make_unique<Saved>()) {}
init_scope::~init_scope() = default;

}  // namespace tf
