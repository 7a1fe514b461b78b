// tf::ConcreteFunction: one traced signature of a tf::function, called directly with arguments
// that must match it, and its graph at any compiler stage.
#include <fstream>

#include "compiler/compiler.h"
#include "core/shape_rules.h"
#include "frontend/src/concrete.h"
#include "frontend/src/tensor_internal.h"
#include "tfjit/function.h"

namespace tf {

ConcreteFunction::ConcreteFunction(std::shared_ptr<const detail::Concrete> concrete)
    : concrete_(std::move(concrete)) {}

std::string ConcreteFunction::graph(std::string_view stage) const {
  auto parsed = compiler::parse_stage(stage);
  if (!parsed) {
    std::string names;
    for (auto s : compiler::kAllStages) {
      names += ' ';  // piecewise: GCC 12 warns falsely on " " + string
      names += compiler::stage_name(s);
    }
    throw InvalidArgumentError("ConcreteFunction::graph: unknown stage '" + std::string(stage) +
                               "'; stages:" + names);
  }
  return concrete_->graph->text(*parsed, concrete_->options);
}

void ConcreteFunction::save(const std::string& path, std::string_view stage) const {
  std::string text = graph(stage);
  std::ofstream out(path);
  out << text;
  if (!out) throw InvalidArgumentError("ConcreteFunction::save: cannot write '" + path + "'");
}

std::string ConcreteFunction::dot() const { return concrete_->graph->dot(); }

std::vector<DType> ConcreteFunction::input_dtypes() const {
  std::vector<DType> dtypes;
  const auto& args = concrete_->graph->arguments();
  for (size_t i = 0; i + concrete_->captures.size() < args.size(); ++i)
    dtypes.push_back(args[i].dtype);
  return dtypes;
}

std::vector<TensorShape> ConcreteFunction::input_shapes() const {
  std::vector<TensorShape> shapes;
  const auto& args = concrete_->graph->arguments();
  for (size_t i = 0; i + concrete_->captures.size() < args.size(); ++i)
    shapes.push_back(args[i].shape);
  return shapes;
}

size_t ConcreteFunction::code_bytes() const { return static_cast<size_t>(concrete_->code_bytes()); }

std::string ConcreteFunction::device() const { return detail::device_name(*concrete_); }
std::string ConcreteFunction::gpu_fallback_reason() const {
  return detail::gpu_fallback_reason(*concrete_);
}
bool ConcreteFunction::replays_cuda_graph() const { return detail::replays_cuda_graph(*concrete_); }
std::string ConcreteFunction::cuda_graph_unavailable_reason() const {
  return detail::cuda_graph_unavailable_reason(*concrete_);
}

std::vector<Tensor> ConcreteFunction::operator()(std::span<const Tensor> args) const {
  auto dtypes = input_dtypes();
  auto shapes = input_shapes();
  if (args.size() != dtypes.size())
    throw InvalidArgumentError("ConcreteFunction: expected " + std::to_string(dtypes.size()) +
                               " tensor arguments, got " + std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].defined())
      throw InvalidArgumentError("ConcreteFunction: argument " + std::to_string(i) + " is null");
    if (args[i].dtype() != dtypes[i] || !core::match_shape(shapes[i], args[i].shape()).empty())
      throw InvalidArgumentError("ConcreteFunction: argument " + std::to_string(i) + " is " +
                                 std::string(dtype_name(args[i].dtype())) + " " +
                                 args[i].shape().to_string() +
                                 ", but this concrete function was traced for " +
                                 std::string(dtype_name(dtypes[i])) + " " + shapes[i].to_string());
    if (args[i].impl()->trace)
      throw InvalidArgumentError("ConcreteFunction: argument " + std::to_string(i) +
                                 " is a symbolic tensor; call the tf::function while tracing");
  }
  try {
    return detail::run(*concrete_, args, detail::read_captures(*concrete_));
  } catch (const detail::RegionShapesBroken& e) {  // no body to run eagerly here
    throw InvalidArgumentError(
        "ConcreteFunction: these shapes break code in a branch or loop "
        "of the graph (" +
        e.why + "); call the tf::function instead");
  }
}

}  // namespace tf
