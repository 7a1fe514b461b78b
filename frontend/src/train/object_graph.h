// TensorFlow's TrackableObjectGraph (tensorflow/core/protobuf/trackable_object_graph.proto): the
// object structure an object-based checkpoint stores under "_CHECKPOINTABLE_OBJECT_GRAPH", so a
// checkpoint restores into objects by their paths (model/layer/kernel), not by variable names.
// This is a plain in-memory mirror of the proto, plus TensorFlow's rules for naming checkpoint
// keys after object paths (tensorflow/python/trackable/trackable_utils.py).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tf::detail {

struct ObjectGraph {
  struct Child {
    int node_id = 0;
    std::string local_name;
  };
  // A tensor the object saves: a variable's is named "VARIABLE_VALUE".
  struct Attribute {
    std::string name;
    std::string full_name;       // the variable's name (tf.Variable.name without ":0")
    std::string checkpoint_key;  // its key in the bundle
    bool optional_restore = false;
  };
  // An optimizer's slot (e.g. Adam's "m") for the variable at one node, held at another node.
  struct SlotVariable {
    int original_variable_node_id = 0;
    std::string slot_name;
    int slot_variable_node_id = 0;
  };
  struct Node {
    std::vector<Child> children;
    std::vector<Attribute> attributes;
    std::vector<SlotVariable> slot_variables;
    std::optional<bool> has_checkpoint_values;
    std::string registered_saver, registered_saver_object_name;  // empty: none
  };
  std::vector<Node> nodes;  // node 0 is the root (the tf.train.Checkpoint)

  int add_node() {
    nodes.emplace_back();
    return static_cast<int>(nodes.size()) - 1;
  }
  // The child of `node` called `local_name`, if any.
  std::optional<int> child(int node, std::string_view local_name) const;
};

// The serialized proto, and back. parse checks that every node id is in range; a malformed
// message raises InvalidArgumentError starting with `what`.
std::string serialize_object_graph(const ObjectGraph& graph);
ObjectGraph parse_object_graph(std::string_view bytes, const std::string& what);
// Protobuf's text format of the graph (for debugging and golden files).
std::string object_graph_text(const ObjectGraph& graph);

// trackable_utils.py: '.' becomes "..", '/' becomes ".S" in a local name.
std::string escape_local_name(std::string_view name);
// Escaped local names joined by '/'.
std::string object_path_to_string(const std::vector<std::string>& local_names);
// "<object_path>/.ATTRIBUTES/<escaped attribute name>" (empty suffix for ".TENSORS").
std::string checkpoint_key(std::string_view object_path, std::string_view attribute_name);
// "<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<escaped slot name>".
std::string slot_variable_key(std::string_view variable_path, std::string_view optimizer_path,
                              std::string_view slot_name);

// Names every attribute's checkpoint_key as TensorFlow does: a node's path is the first path by
// which a breadth-first walk from the root (children in order) reaches it; a slot variable
// (reached only through its optimizer's slot_variables) is named slot_variable_key(variable's
// path, optimizer's path, slot name). Also sets has_checkpoint_values (the node, or something
// it reaches, has attributes). Returns each node's object path ("" for the root).
// InvalidArgumentError for a node reached neither way, or a slot variable that is also a child.
std::vector<std::string> assign_checkpoint_keys(ObjectGraph& graph);

}  // namespace tf::detail
