// tf::train::Checkpoint: modules' tracked structure as a TrackableObjectGraph, their variables
// in a tensor bundle; CheckpointManager and TensorFlow's "checkpoint" state file.
#include "tfjit/train.h"

#include <filesystem>
#include <map>
#include <regex>
#include <tuple>
#include <unordered_map>

#include "frontend/src/distribute/distribute_internal.h"
#include "frontend/src/module_state.h"
#include "frontend/src/train/file_io.h"
#include "frontend/src/train/object_graph.h"
#include "frontend/src/train/tensor_bundle.h"
#include "tfjit/creation.h"

namespace tf::train {

using detail::ObjectGraph;

namespace {

constexpr const char* kValue = "VARIABLE_VALUE";

// The object graph of the checkpoint's objects, and what each attribute saves or restores.
struct Graph {
  ObjectGraph graph;
  std::unordered_map<int, Variable> node_variable;
  std::unordered_map<int, data::Iterator*> node_iterator;
  std::unordered_map<const void*, int> seen;  // module states and variables already added

  int variable_node(const Variable& v) {
    if (auto it = seen.find(v.impl().get()); it != seen.end()) return it->second;
    int id = graph.add_node();
    graph.nodes[id].attributes.push_back({kValue, v.name(), "", false});
    node_variable.emplace(id, v);
    seen.emplace(v.impl().get(), id);
    return id;
  }
  // Links `child` under `node` at each of its paths, making the intermediate nodes (shared by
  // paths with the same prefix: "_functional/_operations/1" and ".../2").
  void link(int node, const std::vector<std::vector<std::string>>& paths, int child) {
    for (const auto& path : paths) {
      int at = node;
      for (size_t i = 0; i + 1 < path.size(); ++i) {
        auto key = std::pair{at, path[i]};
        auto it = intermediate.find(key);
        if (it == intermediate.end()) {
          int fresh = graph.add_node();
          graph.nodes[at].children.push_back({fresh, path[i]});
          it = intermediate.emplace(key, fresh).first;
        }
        at = it->second;
      }
      graph.nodes[at].children.push_back({child, path.back()});
    }
  }
  int module_node(const Module& m) {
    if (auto it = seen.find(m.state().get()); it != seen.end()) return it->second;
    int id = graph.add_node();
    seen.emplace(m.state().get(), id);
    for (const auto& [attribute, v] : m.tracked_variables())
      link(id, m.checkpoint_paths(attribute), variable_node(v));
    for (const auto& [attribute, sub] : m.tracked_modules())
      link(id, m.checkpoint_paths(attribute), module_node(sub));
    return id;
  }
  std::map<std::pair<int, std::string>, int> intermediate;
  int iterator_node(data::Iterator* it) {
    int id = graph.add_node();
    graph.nodes[id].attributes.push_back({"iteration", "", "", false});
    graph.nodes[id].attributes.push_back({"position", "", "", false});
    node_iterator.emplace(id, it);
    return id;
  }
};

Graph build_graph(const std::vector<std::pair<std::string, Trackable>>& objects,
                  const Variable& save_counter) {
  Graph g;
  int root = g.graph.add_node();
  auto add = [&](const std::string& name, const Trackable& t) {
    int child = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Module>) return g.module_node(v);
          if constexpr (std::is_same_v<T, Variable>) return g.variable_node(v);
          if constexpr (std::is_same_v<T, data::Iterator*>) return g.iterator_node(v);
        },
        t.value());
    g.graph.nodes[root].children.push_back({child, name});
  };
  for (const auto& [name, t] : objects) add(name, t);
  add("save_counter", save_counter);
  detail::assign_checkpoint_keys(g.graph);
  return g;
}

void check_objects(const std::vector<std::pair<std::string, Trackable>>& objects) {
  std::vector<std::string> names;
  for (const auto& [name, t] : objects) {
    if (name.empty() || name == "save_counter")
      throw InvalidArgumentError("tf::train::Checkpoint: object name '" + name +
                                 "' is empty or reserved");
    if (std::find(names.begin(), names.end(), name) != names.end())
      throw InvalidArgumentError("tf::train::Checkpoint: two objects named '" + name + "'");
    if (auto* it = std::get_if<data::Iterator*>(&t.value()); it && !*it)
      throw InvalidArgumentError("tf::train::Checkpoint: null iterator '" + name + "'");
    names.push_back(name);
  }
}

// TensorFlow's CheckpointState text proto, paths relative to the directory.
void write_state(const std::string& directory, const std::vector<std::string>& kept) {
  std::string text;
  auto rel = [&](const std::string& p) { return std::filesystem::path(p).filename().string(); };
  if (!kept.empty()) text += "model_checkpoint_path: \"" + rel(kept.back()) + "\"\n";
  for (const auto& p : kept) text += "all_model_checkpoint_paths: \"" + rel(p) + "\"\n";
  detail::file_io::create_parent_directories(directory + "/checkpoint");
  detail::file_io::AtomicFile file(directory + "/checkpoint");
  file.write(text);
  file.finish();
  file.commit();
}

std::vector<std::string> read_state(const std::string& directory, std::string* latest) {
  std::vector<std::string> all;
  const std::string path = directory + "/checkpoint";
  if (!std::filesystem::exists(path)) return all;
  std::string text = detail::file_io::read_all(path);
  static const std::regex line(
      R"((model_checkpoint_path|all_model_checkpoint_paths):\s*\"([^\"]*)\")");
  for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
    std::string p = (*it)[2].str();
    if (!p.empty() && p[0] != '/') p = directory + "/" + p;
    if ((*it)[1].str() == "model_checkpoint_path") {
      if (latest) *latest = p;
    } else {
      all.push_back(p);
    }
  }
  return all;
}

}  // namespace

void LoadStatus::assert_consumed() const {
  if (unused_keys.empty() && missing.empty()) return;
  std::string msg = "checkpoint not consumed:";
  for (const auto& k : unused_keys) msg += " unused '" + k + "'";
  for (const auto& k : missing) msg += " missing '" + k + "'";
  throw FailedPreconditionError(msg);
}

Checkpoint::Checkpoint(std::vector<std::pair<std::string, Trackable>> objects)
    : objects_(std::move(objects)),
      save_counter_(constant(int64_t{0}), "save_counter", /*trainable=*/false) {
  check_objects(objects_);
}

std::string Checkpoint::write(const std::string& prefix) const {
  if (prefix.empty()) throw InvalidArgumentError("Checkpoint.write: empty prefix");
  Graph g = build_graph(objects_, save_counter_);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (size_t id = 0; id < g.graph.nodes.size(); ++id)
    for (const auto& a : g.graph.nodes[id].attributes) {
      int node = static_cast<int>(id);
      if (auto v = g.node_variable.find(node); v != g.node_variable.end())
        tensors.emplace_back(a.checkpoint_key, v->second.read_value());
      else if (auto it = g.node_iterator.find(node); it != g.node_iterator.end())
        tensors.emplace_back(a.checkpoint_key,
                             a.name == "position"
                                 ? constant(it->second->position())
                                 : constant(static_cast<int64_t>(it->second->iteration())));
    }
  tensors.emplace_back(detail::kObjectGraphKey, constant(detail::serialize_object_graph(g.graph)));
  distribute::detail::chief_writes([&] { detail::write_bundle(prefix, tensors); });
  return prefix;
}

std::string Checkpoint::save(const std::string& prefix) {
  // The counter moves only once the checkpoint is written (and it is saved with its new value).
  const int64_t previous = save_counter_.read_value().item<int64_t>();
  save_counter_.assign(previous + 1);
  std::string path = prefix + "-" + std::to_string(previous + 1);
  try {
    write(path);
  } catch (...) {
    save_counter_.assign(previous);
    throw;
  }
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  auto kept = read_state(directory, nullptr);
  std::erase(kept, path);
  kept.push_back(path);
  distribute::detail::chief_writes([&] { write_state(directory, kept); });
  return path;
}

LoadStatus Checkpoint::read(const std::string& prefix, bool require_match) const {
  detail::BundleReader reader(prefix);
  if (!reader.contains(detail::kObjectGraphKey))
    throw InvalidArgumentError("Checkpoint.read: '" + prefix +
                               "' has no object graph (not an object-based checkpoint)");
  ObjectGraph saved = detail::parse_object_graph(
      reader.get(detail::kObjectGraphKey).item<std::string>(), "Checkpoint.read: " + prefix);
  Graph ours = build_graph(objects_, save_counter_);
  LoadStatus status;
  // What to restore, gathered and checked before anything is assigned: a mismatch found late
  // leaves every object as it was.
  std::vector<std::pair<Variable, Tensor>> assignments;
  std::vector<std::tuple<data::Iterator*, uint64_t, int64_t>> iterators;
  std::vector<bool> used(saved.nodes.size(), false);
  std::vector<bool> visited(ours.graph.nodes.size(), false);
  // Everything below a node of ours the file lacks is missing.
  auto missing_below = [&](int node) {
    std::vector<int> stack{node};
    std::vector<bool> seen(ours.graph.nodes.size(), false);
    while (!stack.empty()) {
      int n = stack.back();
      stack.pop_back();
      if (seen[n] || visited[n]) continue;
      seen[n] = true;
      for (const auto& a : ours.graph.nodes[n].attributes)
        status.missing.push_back(a.checkpoint_key);
      for (const auto& c : ours.graph.nodes[n].children) stack.push_back(c.node_id);
    }
  };
  // Walks our graph and the file's together from the roots, matching children by name.
  std::vector<std::pair<int, int>> work{{0, 0}};
  while (!work.empty()) {
    auto [mine, theirs] = work.back();
    work.pop_back();
    if (visited[mine]) continue;
    visited[mine] = true;
    used[theirs] = true;
    const auto& node = ours.graph.nodes[mine];
    const auto& file = saved.nodes[theirs];
    auto find = [&](const std::string& name) {
      return std::find_if(file.attributes.begin(), file.attributes.end(),
                          [&](const auto& f) { return f.name == name; });
    };
    if (auto v = ours.node_variable.find(mine); v != ours.node_variable.end()) {
      auto match = find(kValue);
      if (match == file.attributes.end()) {
        status.missing.push_back(node.attributes.at(0).checkpoint_key);
      } else {
        Tensor value = reader.get(match->checkpoint_key);
        const Variable& var = v->second;
        if (value.shape() != var.shape() || value.dtype() != var.dtype())
          throw InvalidArgumentError(
              "Checkpoint.read: '" + match->checkpoint_key + "' is " + value.shape().to_string() +
              " " + std::string(dtype_name(value.dtype())) + ", variable '" + var.name() + "' is " +
              var.shape().to_string() + " " + std::string(dtype_name(var.dtype())));
        assignments.emplace_back(var, value);
      }
    }
    if (auto it = ours.node_iterator.find(mine); it != ours.node_iterator.end()) {
      auto position = find("position"), iteration = find("iteration");
      if (position == file.attributes.end() || iteration == file.attributes.end()) {
        for (const auto& a : node.attributes) status.missing.push_back(a.checkpoint_key);
      } else {
        auto scalar = [&](const std::string& key) {
          Tensor t = reader.get(key);
          if (t.dtype() != int64 || t.shape().rank() != 0)
            throw InvalidArgumentError("Checkpoint.read: iterator state '" + key +
                                       "' is not an int64 scalar");
          return t.item<int64_t>();
        };
        iterators.emplace_back(it->second, static_cast<uint64_t>(scalar(iteration->checkpoint_key)),
                               scalar(position->checkpoint_key));
      }
    }
    for (const auto& child : node.children) {
      if (auto theirs_child = saved.child(theirs, child.local_name))
        work.emplace_back(child.node_id, *theirs_child);
      else
        missing_below(child.node_id);
    }
  }
  for (size_t id = 0; id < saved.nodes.size(); ++id)
    if (!used[id])
      for (const auto& a : saved.nodes[id].attributes)
        status.unused_keys.push_back(a.checkpoint_key);
  if (require_match && (!status.missing.empty() || !status.unused_keys.empty())) {
    std::string what = "Checkpoint.read: '" + prefix + "' does not match the objects:";
    for (const auto& k : status.missing) what += " missing " + k + ";";
    for (const auto& k : status.unused_keys) what += " unexpected " + k + ";";
    throw InvalidArgumentError(what);
  }
  // Iterators first: replaying a pass may fail (OutOfRangeError) before any variable changed.
  for (auto& [it, iteration, position] : iterators) it->restore(iteration, position);
  for (auto& [var, value] : assignments) var.assign(value);
  return status;
}

CheckpointManager::CheckpointManager(Checkpoint checkpoint, std::string directory,
                                     int64_t max_to_keep, std::string checkpoint_name)
    : checkpoint_(std::move(checkpoint)),
      directory_(std::move(directory)),
      name_(std::move(checkpoint_name)),
      max_to_keep_(max_to_keep) {
  if (directory_.empty()) throw InvalidArgumentError("CheckpointManager: empty directory");
  if (max_to_keep_ < 1) throw InvalidArgumentError("CheckpointManager: max_to_keep must be >= 1");
  kept_ = read_state(directory_, nullptr);
}

std::string CheckpointManager::save(std::optional<int64_t> checkpoint_number) {
  std::string path;
  if (checkpoint_number) {
    path = directory_ + "/" + name_ + "-" + std::to_string(*checkpoint_number);
    checkpoint_.write(path);
  } else {
    path = checkpoint_.save(directory_ + "/" + name_);
  }
  std::erase(kept_, path);
  kept_.push_back(path);
  while (static_cast<int64_t>(kept_.size()) > max_to_keep_) {
    const std::string old = kept_.front();
    kept_.erase(kept_.begin());
    std::error_code ignored;
    std::filesystem::remove(detail::bundle_index_path(old), ignored);
    std::filesystem::remove(detail::bundle_data_path(old, 0, 1), ignored);
  }
  distribute::detail::chief_writes([&] { write_state(directory_, kept_); });
  return path;
}

std::optional<std::string> CheckpointManager::latest_checkpoint() const {
  if (kept_.empty()) return std::nullopt;
  return kept_.back();
}

std::optional<std::string> latest_checkpoint(const std::string& directory) {
  std::string latest;
  read_state(directory, &latest);
  if (latest.empty()) return std::nullopt;
  return latest;
}

}  // namespace tf::train
