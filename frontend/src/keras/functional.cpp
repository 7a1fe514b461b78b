// Keras' functional API: Keras tensors are concrete placeholders (a batch of one) whose making
// layer call is kept in a registry keyed by the tensor; Model(inputs, output) walks it back.
#include "frontend/src/keras/functional.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include <typeinfo>

#include "tfjit/creation.h"
#include "tfjit/ops.h"

namespace tf::keras {

namespace detail {
namespace {

struct Registry {
  std::mutex mutex;
  // Keyed by the tensor's state; the weak pointer tells a dead tensor from a reused address.
  std::map<const void*, std::pair<std::weak_ptr<tf::detail::TensorImpl>, std::shared_ptr<Node>>>
      nodes;
  std::atomic<bool> used{false};
};
Registry& registry() {
  static Registry r;
  return r;
}

std::shared_ptr<Node> node_of(const Tensor& t) {
  Registry& r = registry();
  if (!r.used || !t.defined()) return nullptr;
  std::lock_guard lock(r.mutex);
  auto it = r.nodes.find(t.impl().get());
  if (it == r.nodes.end() || it->second.first.lock() != t.impl()) return nullptr;
  return it->second.second;
}

void set_node(const Tensor& t, std::shared_ptr<Node> node) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.used = true;
  std::erase_if(r.nodes, [](const auto& e) { return e.second.first.expired(); });
  r.nodes[t.impl().get()] = {t.impl(), std::move(node)};
}

}  // namespace

Tensor record_call(const Layer& layer, const std::vector<Tensor>& inputs, bool list_call,
                   const Tensor& output) {
  if (!registry().used) return output;
  std::vector<std::shared_ptr<Node>> in;
  bool any = false;
  for (const Tensor& t : inputs) {
    in.push_back(node_of(t));
    any = any || in.back();
  }
  if (!any) return output;
  for (size_t i = 0; i < in.size(); ++i)
    if (!in[i])
      throw InvalidArgumentError("layer '" + layer.name() + "': input " + std::to_string(i) +
                                 " is not a Keras tensor (functional models are made of layer "
                                 "calls on tf::keras::Input and what layers return; wrap other "
                                 "ops in a Lambda layer)");
  std::shared_ptr<Layer> copy = layer.clone();
  if (typeid(*copy) != typeid(layer))
    throw UnimplementedError("layer '" + layer.name() +
                             "' is of a class derived from a built-in layer: override clone() to "
                             "use it in a functional model");
  // An identity layer (Dropout when not training, a linear Activation) returns its input.
  Tensor result = output;
  for (const Tensor& t : inputs)
    if (t.impl() == output.impl()) result = identity(output);
  set_node(result, std::make_shared<Node>(Node{std::move(copy), std::move(in), list_call}));
  return result;
}

FunctionalGraph functional_graph(const std::vector<Tensor>& inputs, const Tensor& output,
                                 const std::string& model) {
  FunctionalGraph g;
  for (const Tensor& t : inputs) {
    auto node = node_of(t);
    if (!node || node->layer)
      throw InvalidArgumentError("Model '" + model +
                                 "': every input must be a tf::keras::Input placeholder");
    g.inputs.push_back(node);
  }
  g.output = node_of(output);
  if (!g.output)
    throw InvalidArgumentError("Model '" + model +
                               "': the output must come from layers called on tf::keras::Input");
  // Depth-first from the output: each node after its inputs.
  std::set<const Node*> done;
  auto visit = [&](auto& self, const std::shared_ptr<Node>& n) -> void {
    if (done.count(n.get())) return;
    if (!n->layer) {
      if (std::find(g.inputs.begin(), g.inputs.end(), n) == g.inputs.end())
        throw InvalidArgumentError("Model '" + model +
                                   "': the output depends on an Input not given as an input");
      done.insert(n.get());
      return;
    }
    for (const auto& in : n->inputs) self(self, in);
    done.insert(n.get());
    g.order.push_back(n);
  };
  visit(visit, g.output);
  return g;
}

Tensor run_functional(const FunctionalGraph& g, const std::vector<Tensor>& inputs, bool training,
                      const std::string& model) {
  if (inputs.size() != g.inputs.size())
    throw InvalidArgumentError("Model '" + model + "' takes " + std::to_string(g.inputs.size()) +
                               " inputs, got " + std::to_string(inputs.size()));
  std::map<const Node*, Tensor> values;
  for (size_t i = 0; i < inputs.size(); ++i) values[g.inputs[i].get()] = inputs[i];
  for (const auto& n : g.order) {
    std::vector<Tensor> args;
    for (const auto& in : n->inputs) args.push_back(values.at(in.get()));
    values[n.get()] =
        n->list_call ? (*n->layer)(args, training) : (*n->layer)(args.at(0), training);
  }
  return values.at(g.output.get());
}

}  // namespace detail

Tensor Input(const TensorShape& shape, DType dtype) {
  std::vector<int64_t> dims{1};
  for (int64_t d : shape) {
    if (d < 0 && d != kUnknownDim)
      throw InvalidArgumentError("Input: shape " + shape.to_string() + " has a negative dim");
    dims.push_back(d < 0 ? 1 : d);
  }
  Tensor placeholder = zeros(TensorShape(dims), dtype);
  detail::set_node(placeholder, std::make_shared<detail::Node>());
  return placeholder;
}

}  // namespace tf::keras
