// Keras' functional API: layer calls on Keras tensors (tf::keras::Input and what layers return
// from them) are recorded as nodes; a functional Model runs the recorded graph.
#pragma once

#include <memory>
#include <vector>

#include "tfjit/keras/layer.h"

namespace tf::keras::detail {

struct Node {
  std::shared_ptr<Layer> layer;  // null: a model input
  std::vector<std::shared_ptr<Node>> inputs;
  bool list_call = false;  // the layer was called on a list (Add, Concatenate, ...)
};

// Records `layer` called on `inputs` giving `output`, when an input is a Keras tensor, and
// returns the output to hand back (a copy when the layer returned an input itself, so the input
// keeps its own node).
Tensor record_call(const Layer& layer, const std::vector<Tensor>& inputs, bool list_call,
                   const Tensor& output);

// The graph from `inputs` to `output`, in an order that runs each node after its inputs.
struct FunctionalGraph {
  std::vector<std::shared_ptr<Node>> inputs, order;
  std::shared_ptr<Node> output;
};
FunctionalGraph functional_graph(const std::vector<Tensor>& inputs, const Tensor& output,
                                 const std::string& model);
Tensor run_functional(const FunctionalGraph& graph, const std::vector<Tensor>& inputs,
                      bool training, const std::string& model);

}  // namespace tf::keras::detail
