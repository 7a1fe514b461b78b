// Building a traced graph op by op, and the Graph's accessors (text at a stage, parsing).
#include "compiler/compiler.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "tfjit/errors.h"

namespace tf::compiler {

namespace {

mlir::Attribute to_mlir(mlir::Builder& b, const AttrValue& value) {
  if (auto* i = std::get_if<int64_t>(&value)) return b.getI64IntegerAttr(*i);
  if (auto* v = std::get_if<std::vector<int64_t>>(&value)) return b.getDenseI64ArrayAttr(*v);
  if (auto* s = std::get_if<std::string>(&value)) return b.getStringAttr(*s);
  return b.getBoolAttr(std::get<bool>(value));
}

mlir::RankedTensorType checked_type(const TensorType& t, std::string_view what) {
  auto type = tfjit::tensor_type(&context(), t.dtype, t.shape);
  if (t.dtype == uint8 || t.dtype == complex64 || t.dtype == string)
    throw UnimplementedError(std::string(what) + ": dtype " + std::string(dtype_name(t.dtype)) +
                             " cannot be used in a compiled function yet");
  return type;
}

TensorType tensor_type_of(mlir::Type type) {
  auto shaped = mlir::cast<mlir::ShapedType>(type);
  return {tfjit::dtype_of(shaped.getElementType()).value_or(float32), tfjit::shape_of(shaped)};
}

}  // namespace

struct GraphBuilder::Impl {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  mlir::OpBuilder builder{&context()};
  std::vector<mlir::Value> values;
  std::vector<TensorType> arguments;
};

GraphBuilder::GraphBuilder() : impl_(std::make_unique<Impl>()) {
  auto& b = impl_->builder;
  auto loc = b.getUnknownLoc();
  impl_->module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(impl_->module->getBody());
  impl_->func = b.create<mlir::func::FuncOp>(loc, "main", b.getFunctionType({}, {}));
  b.setInsertionPointToStart(impl_->func.addEntryBlock());
}

GraphBuilder::~GraphBuilder() = default;

int GraphBuilder::add_argument(const TensorType& type) {
  auto t = checked_type(type, "function argument");
  auto& func = impl_->func;
  unsigned index = func.getNumArguments();
  (void)func.insertArgument(index, t, {}, impl_->builder.getUnknownLoc());
  impl_->arguments.push_back(type);
  impl_->values.push_back(func.getArgument(index));
  return static_cast<int>(impl_->values.size() - 1);
}

int GraphBuilder::add_constant(const TensorType& type, const void* data) {
  auto t = checked_type(type, "constant");
  mlir::DenseElementsAttr attr;
  int64_t n = type.shape.num_elements();
  if (type.dtype == bool_) {
    auto* p = static_cast<const bool*>(data);
    attr = mlir::DenseElementsAttr::get(t, llvm::ArrayRef<bool>(p, static_cast<size_t>(n)));
  } else {
    auto* p = static_cast<const char*>(data);
    attr = mlir::DenseElementsAttr::getFromRawBuffer(
        t, llvm::ArrayRef<char>(p, static_cast<size_t>(n) * dtype_size(type.dtype)));
  }
  auto op = impl_->builder.create<tfjit::ConstantOp>(impl_->builder.getUnknownLoc(), attr);
  impl_->values.push_back(op.getResult());
  return static_cast<int>(impl_->values.size() - 1);
}

int GraphBuilder::add_op(std::string_view name, std::span<const int> operands,
                         std::span<const NamedAttr> attrs, const TensorType& result) {
  auto& b = impl_->builder;
  mlir::OperationState state(b.getUnknownLoc(), "tfjit." + std::string(name));
  for (int v : operands) state.addOperands(impl_->values.at(static_cast<size_t>(v)));
  for (const auto& a : attrs) state.addAttribute(a.name, to_mlir(b, a.value));
  state.addTypes(checked_type(result, name));
  impl_->values.push_back(b.create(state)->getResult(0));
  return static_cast<int>(impl_->values.size() - 1);
}

std::unique_ptr<Graph> GraphBuilder::finish(std::span<const int> results) {
  auto& b = impl_->builder;
  llvm::SmallVector<mlir::Value> outs;
  llvm::SmallVector<mlir::Type> out_types;
  auto graph = std::make_unique<Graph::Impl>();
  for (int v : results) {
    outs.push_back(impl_->values.at(static_cast<size_t>(v)));
    out_types.push_back(outs.back().getType());
    graph->results.push_back(tensor_type_of(outs.back().getType()));
  }
  b.create<mlir::func::ReturnOp>(b.getUnknownLoc(), outs);
  impl_->func.setType(b.getFunctionType(impl_->func.getArgumentTypes(), out_types));
  DiagnosticCollector diags;
  if (mlir::failed(mlir::verify(*impl_->module)))
    throw InternalError("traced graph failed verification:\n" + diags.text() +
                        print(*impl_->module));
  graph->module = std::move(impl_->module);
  graph->arguments = std::move(impl_->arguments);
  return std::make_unique<Graph>(std::move(graph));
}

Graph::Graph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Graph::~Graph() = default;
const std::vector<TensorType>& Graph::arguments() const { return impl_->arguments; }
const std::vector<TensorType>& Graph::results() const { return impl_->results; }

std::unique_ptr<Graph> Graph::parse(std::string_view text) {
  auto lock = lock_compiler();
  DiagnosticCollector diags;
  auto module = mlir::parseSourceString<mlir::ModuleOp>(llvm::StringRef(text.data(), text.size()),
                                                        &context());
  if (!module) throw InvalidArgumentError("malformed graph:\n" + diags.text());
  auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
  if (!func || func.isExternal())
    throw InvalidArgumentError("malformed graph: no function @main with a body");
  auto impl = std::make_unique<Impl>();
  for (auto t : func.getArgumentTypes()) {
    if (!mlir::isa<mlir::RankedTensorType>(t))  // dynamic dims (?) are allowed
      throw InvalidArgumentError("malformed graph: @main arguments must be ranked tensors");
    impl->arguments.push_back(tensor_type_of(t));
  }
  for (auto t : func.getResultTypes()) {
    if (!mlir::isa<mlir::RankedTensorType>(t))
      throw InvalidArgumentError("malformed graph: @main results must be ranked tensors");
    impl->results.push_back(tensor_type_of(t));
  }
  impl->module = std::move(module);
  return std::make_unique<Graph>(std::move(impl));
}

}  // namespace tf::compiler
