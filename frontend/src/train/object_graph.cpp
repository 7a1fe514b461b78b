#include "frontend/src/train/object_graph.h"

#include <google/protobuf/text_format.h>

#include <deque>

#include "tensorflow/core/protobuf/trackable_object_graph.pb.h"
#include "tfjit/errors.h"

namespace tf::detail {
namespace {

using Proto = tensorflow::TrackableObjectGraph;

Proto to_proto(const ObjectGraph& graph) {
  Proto proto;
  for (const auto& node : graph.nodes) {
    auto* p = proto.add_nodes();
    for (const auto& c : node.children) {
      auto* r = p->add_children();
      r->set_node_id(c.node_id);
      r->set_local_name(c.local_name);
    }
    for (const auto& a : node.attributes) {
      auto* t = p->add_attributes();
      t->set_name(a.name);
      t->set_full_name(a.full_name);
      t->set_checkpoint_key(a.checkpoint_key);
      t->set_optional_restore(a.optional_restore);
    }
    for (const auto& s : node.slot_variables) {
      auto* r = p->add_slot_variables();
      r->set_original_variable_node_id(s.original_variable_node_id);
      r->set_slot_name(s.slot_name);
      r->set_slot_variable_node_id(s.slot_variable_node_id);
    }
    if (!node.registered_saver.empty()) {
      p->mutable_registered_saver()->set_name(node.registered_saver);
      p->mutable_registered_saver()->set_object_name(node.registered_saver_object_name);
    }
    if (node.has_checkpoint_values)
      p->mutable_has_checkpoint_values()->set_value(*node.has_checkpoint_values);
  }
  return proto;
}

}  // namespace

std::optional<int> ObjectGraph::child(int node, std::string_view local_name) const {
  for (const auto& c : nodes.at(static_cast<size_t>(node)).children)
    if (c.local_name == local_name) return c.node_id;
  return std::nullopt;
}

std::string serialize_object_graph(const ObjectGraph& graph) {
  return to_proto(graph).SerializeAsString();
}

std::string object_graph_text(const ObjectGraph& graph) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(to_proto(graph), &out);
  return out;
}

ObjectGraph parse_object_graph(std::string_view bytes, const std::string& what) {
  Proto proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      bytes.size() > static_cast<size_t>(INT32_MAX))
    throw InvalidArgumentError(what + ": unparsable TrackableObjectGraph");
  ObjectGraph graph;
  const int n = proto.nodes_size();
  auto check_id = [&](int id, int node, const char* field) {
    if (id < 0 || id >= n)
      throw InvalidArgumentError(what + ": TrackableObjectGraph node " + std::to_string(node) +
                                 ": " + field + " " + std::to_string(id) + " is not a node (" +
                                 std::to_string(n) + " nodes)");
  };
  for (int i = 0; i < n; ++i) {
    const auto& p = proto.nodes(i);
    ObjectGraph::Node node;
    for (const auto& c : p.children()) {
      check_id(c.node_id(), i, "child");
      node.children.push_back({c.node_id(), c.local_name()});
    }
    for (const auto& a : p.attributes())
      node.attributes.push_back(
          {a.name(), a.full_name(), a.checkpoint_key(), a.optional_restore()});
    for (const auto& s : p.slot_variables()) {
      check_id(s.original_variable_node_id(), i, "slot's original variable");
      check_id(s.slot_variable_node_id(), i, "slot variable");
      node.slot_variables.push_back(
          {s.original_variable_node_id(), s.slot_name(), s.slot_variable_node_id()});
    }
    if (p.has_registered_saver()) {
      node.registered_saver = p.registered_saver().name();
      node.registered_saver_object_name = p.registered_saver().object_name();
    }
    if (p.has_has_checkpoint_values())
      node.has_checkpoint_values = p.has_checkpoint_values().value();
    graph.nodes.push_back(std::move(node));
  }
  return graph;
}

std::string escape_local_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '.')
      out += "..";
    else if (c == '/')
      out += ".S";
    else
      out += c;
  }
  return out;
}

std::string object_path_to_string(const std::vector<std::string>& local_names) {
  std::string out;
  for (size_t i = 0; i < local_names.size(); ++i) {
    if (i) out += '/';
    out += escape_local_name(local_names[i]);
  }
  return out;
}

std::string checkpoint_key(std::string_view object_path, std::string_view attribute_name) {
  std::string suffix = attribute_name == ".TENSORS" ? "" : escape_local_name(attribute_name);
  return std::string(object_path) + "/.ATTRIBUTES/" + suffix;
}

std::string slot_variable_key(std::string_view variable_path, std::string_view optimizer_path,
                              std::string_view slot_name) {
  return std::string(variable_path) + "/.OPTIMIZER_SLOT/" + std::string(optimizer_path) + "/" +
         escape_local_name(slot_name);
}

std::vector<std::string> assign_checkpoint_keys(ObjectGraph& graph) {
  const size_t n = graph.nodes.size();
  if (n == 0) throw InvalidArgumentError("assign_checkpoint_keys: the graph has no root");
  std::vector<std::optional<std::string>> path(n);
  path[0] = "";
  std::deque<int> queue{0};
  while (!queue.empty()) {  // breadth-first: the first path to a node names it
    int id = queue.front();
    queue.pop_front();
    for (const auto& c : graph.nodes[static_cast<size_t>(id)].children) {
      if (c.node_id < 0 || static_cast<size_t>(c.node_id) >= n)
        throw InvalidArgumentError("assign_checkpoint_keys: child " + std::to_string(c.node_id) +
                                   " of node " + std::to_string(id) + " is not a node");
      auto& p = path[static_cast<size_t>(c.node_id)];
      if (p) continue;
      const std::string& parent = *path[static_cast<size_t>(id)];
      p = (parent.empty() ? "" : parent + "/") + escape_local_name(c.local_name);
      queue.push_back(c.node_id);
    }
  }
  std::vector<bool> is_slot(n, false);
  for (size_t id = 0; id < n; ++id) {
    if (!path[id]) continue;  // only reachable optimizers name slots
    for (const auto& s : graph.nodes[id].slot_variables) {
      auto var = static_cast<size_t>(s.original_variable_node_id);
      auto slot = static_cast<size_t>(s.slot_variable_node_id);
      if (var >= n || slot >= n || !path[var])
        throw InvalidArgumentError("assign_checkpoint_keys: node " + std::to_string(id) +
                                   ": slot \"" + s.slot_name + "\" names a node out of reach");
      if (path[slot] && !is_slot[slot])
        throw InvalidArgumentError("assign_checkpoint_keys: slot variable node " +
                                   std::to_string(slot) + " is also a dependency (" + *path[slot] +
                                   ")");
      path[slot] = slot_variable_key(*path[var], *path[id], s.slot_name);
      is_slot[slot] = true;
    }
  }
  std::vector<std::string> out(n);
  for (size_t id = 0; id < n; ++id) {
    auto& node = graph.nodes[id];
    if (!path[id]) {
      if (!node.attributes.empty())
        throw InvalidArgumentError("assign_checkpoint_keys: node " + std::to_string(id) +
                                   " has attributes but no path from the root");
      continue;
    }
    out[id] = *path[id];
    for (auto& a : node.attributes) a.checkpoint_key = checkpoint_key(*path[id], a.name);
  }
  // has_checkpoint_values: iterate to a fixed point over children and slots (graphs are small).
  std::vector<bool> has(n);
  for (size_t id = 0; id < n; ++id) has[id] = !graph.nodes[id].attributes.empty();
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t id = 0; id < n; ++id) {
      if (has[id]) continue;
      for (const auto& c : graph.nodes[id].children)
        has[id] = has[id] || has[static_cast<size_t>(c.node_id)];
      for (const auto& s : graph.nodes[id].slot_variables)
        has[id] = has[id] || has[static_cast<size_t>(s.slot_variable_node_id)];
      changed = changed || has[id];
    }
  }
  for (size_t id = 0; id < n; ++id) graph.nodes[id].has_checkpoint_values = has[id];
  return out;
}

}  // namespace tf::detail
