// Building a traced graph op by op, and the Graph's accessors (text at a stage, parsing).
#include <algorithm>

#include "compiler/compiler.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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
  // Checked before building the type: these dtypes have no MLIR element type here.
  if (t.dtype == uint8 || t.dtype == complex64 || t.dtype == string)
    throw UnimplementedError(std::string(what) + ": dtype " + std::string(dtype_name(t.dtype)) +
                             " cannot be used in a compiled function yet");
  return tfjit::tensor_type(&context(), t.dtype, t.shape);
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
  std::vector<int> region_of;  // per value: the region defining it (0: the function body)
  std::vector<TensorType> arguments;
  // Open control-flow ops, innermost last, and the regions open inside them (one each).
  std::vector<mlir::Operation*> open_ops;
  std::vector<int> open_regions;
  int next_region = 1;

  int add(mlir::Value v) {
    values.push_back(v);
    region_of.push_back(open_regions.empty() ? 0 : open_regions.back());
    return static_cast<int>(values.size() - 1);
  }
  bool visible(int v) const {
    int r = region_of.at(static_cast<size_t>(v));
    return r == 0 || std::find(open_regions.begin(), open_regions.end(), r) != open_regions.end();
  }
  mlir::Value get(int v, std::string_view op) const {
    if (!visible(v))
      throw InvalidArgumentError(
          std::string(op) +
          ": a tensor computed inside a tf::cond branch or tf::while_loop body was used outside "
          "it; return it from the branch or body instead");
    return values.at(static_cast<size_t>(v));
  }
  llvm::SmallVector<mlir::Value> get_all(std::span<const int> vs, std::string_view op) const {
    llvm::SmallVector<mlir::Value> out;
    for (int v : vs) out.push_back(get(v, op));
    return out;
  }
  // The i1 in a scalar bool tensor, which scf ops take as their condition.
  mlir::Value scalar_i1(int v, std::string_view op) {
    return builder.create<mlir::tensor::ExtractOp>(builder.getUnknownLoc(), get(v, op),
                                                   mlir::ValueRange{});
  }
  void open_region() { open_regions.push_back(next_region++); }
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
  int value = impl_->add(func.getArgument(index));
  impl_->region_of.back() = 0;  // arguments are visible everywhere
  return value;
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
  // Inside control flow, constants go before the outermost open op, so that a concrete tensor
  // captured in one branch can be reused anywhere later in the trace.
  auto& b = impl_->builder;
  mlir::OpBuilder::InsertionGuard guard(b);
  if (!impl_->open_ops.empty()) b.setInsertionPoint(impl_->open_ops.front());
  auto op = b.create<tfjit::ConstantOp>(b.getUnknownLoc(), attr);
  int value = impl_->add(op.getResult());
  impl_->region_of.back() = 0;
  return value;
}

int GraphBuilder::add_op(std::string_view name, std::span<const int> operands,
                         std::span<const NamedAttr> attrs, const TensorType& result) {
  auto& b = impl_->builder;
  mlir::OperationState state(b.getUnknownLoc(), "tfjit." + std::string(name));
  for (int v : operands) state.addOperands(impl_->get(v, name));
  for (const auto& a : attrs) state.addAttribute(a.name, to_mlir(b, a.value));
  state.addTypes(checked_type(result, name));
  return impl_->add(b.create(state)->getResult(0));
}

void GraphBuilder::add_effect(std::string_view name, std::span<const int> operands,
                              std::span<const NamedAttr> attrs) {
  auto& b = impl_->builder;
  mlir::OperationState state(b.getUnknownLoc(), "tfjit." + std::string(name));
  for (int v : operands) state.addOperands(impl_->get(v, name));
  for (const auto& a : attrs) state.addAttribute(a.name, to_mlir(b, a.value));
  b.create(state);
}

void GraphBuilder::begin_if(int pred) {
  auto& b = impl_->builder;
  mlir::Value cond = impl_->scalar_i1(pred, "cond");
  // A placeholder without results: they are known once both branches are traced (end_if).
  auto op = b.create<mlir::scf::IfOp>(b.getUnknownLoc(), mlir::TypeRange{}, cond,
                                      /*addThenBlock=*/true, /*addElseBlock=*/true);
  for (mlir::Block* block : {op.thenBlock(), op.elseBlock()})
    while (!block->empty()) block->back().erase();
  impl_->open_ops.push_back(op);
  impl_->open_region();
  b.setInsertionPointToEnd(op.thenBlock());
}

void GraphBuilder::begin_else(std::span<const int> then_results) {
  auto& b = impl_->builder;
  auto op = mlir::cast<mlir::scf::IfOp>(impl_->open_ops.back());
  b.create<mlir::scf::YieldOp>(b.getUnknownLoc(), impl_->get_all(then_results, "cond"));
  impl_->open_regions.pop_back();
  impl_->open_region();
  b.setInsertionPointToEnd(op.elseBlock());
}

std::vector<int> GraphBuilder::end_if(std::span<const int> else_results) {
  auto& b = impl_->builder;
  auto old = mlir::cast<mlir::scf::IfOp>(impl_->open_ops.back());
  b.create<mlir::scf::YieldOp>(b.getUnknownLoc(), impl_->get_all(else_results, "cond"));
  impl_->open_regions.pop_back();
  impl_->open_ops.pop_back();
  llvm::SmallVector<mlir::Type> types(old.thenYield().getOperandTypes());
  b.setInsertionPoint(old);
  auto op = b.create<mlir::scf::IfOp>(b.getUnknownLoc(), types, old.getCondition(),
                                      /*addThenBlock=*/false, /*addElseBlock=*/false);
  op.getThenRegion().takeBody(old.getThenRegion());
  op.getElseRegion().takeBody(old.getElseRegion());
  old.erase();
  b.setInsertionPointAfter(op);
  std::vector<int> results;
  for (mlir::Value r : op.getResults()) results.push_back(impl_->add(r));
  return results;
}

std::vector<int> GraphBuilder::begin_while(std::span<const int> inits) {
  auto& b = impl_->builder;
  auto loc = b.getUnknownLoc();
  auto values = impl_->get_all(inits, "while_loop");
  llvm::SmallVector<mlir::Type> types;
  for (mlir::Value v : values) types.push_back(v.getType());
  auto op = b.create<mlir::scf::WhileOp>(loc, types, values);
  llvm::SmallVector<mlir::Location> locs(types.size(), loc);
  mlir::Block* before = b.createBlock(&op.getBefore(), {}, types, locs);
  impl_->open_ops.push_back(op);
  impl_->open_region();
  std::vector<int> args;
  for (mlir::Value a : before->getArguments()) args.push_back(impl_->add(a));
  return args;
}

std::vector<int> GraphBuilder::begin_while_body(int cond) {
  auto& b = impl_->builder;
  auto loc = b.getUnknownLoc();
  auto op = mlir::cast<mlir::scf::WhileOp>(impl_->open_ops.back());
  mlir::Value c = impl_->scalar_i1(cond, "while_loop");
  mlir::Block* before = &op.getBefore().front();
  b.create<mlir::scf::ConditionOp>(loc, c, before->getArguments());
  impl_->open_regions.pop_back();
  impl_->open_region();
  llvm::SmallVector<mlir::Type> types(before->getArgumentTypes());
  llvm::SmallVector<mlir::Location> locs(types.size(), loc);
  mlir::Block* after = b.createBlock(&op.getAfter(), {}, types, locs);
  std::vector<int> args;
  for (mlir::Value a : after->getArguments()) args.push_back(impl_->add(a));
  return args;
}

std::vector<int> GraphBuilder::end_while(std::span<const int> next) {
  auto& b = impl_->builder;
  auto op = mlir::cast<mlir::scf::WhileOp>(impl_->open_ops.back());
  b.create<mlir::scf::YieldOp>(b.getUnknownLoc(), impl_->get_all(next, "while_loop"));
  impl_->open_regions.pop_back();
  impl_->open_ops.pop_back();
  b.setInsertionPointAfter(op);
  std::vector<int> results;
  for (mlir::Value r : op.getResults()) results.push_back(impl_->add(r));
  return results;
}

bool GraphBuilder::visible(int value) const { return impl_->visible(value); }
int GraphBuilder::depth() const { return static_cast<int>(impl_->open_regions.size()); }
int GraphBuilder::depth(int value) const {
  int r = impl_->region_of.at(static_cast<size_t>(value));
  auto it = std::find(impl_->open_regions.begin(), impl_->open_regions.end(), r);
  return r == 0 ? 0 : static_cast<int>(it - impl_->open_regions.begin()) + 1;
}
TensorType GraphBuilder::type(int value) const {
  return tensor_type_of(impl_->values.at(static_cast<size_t>(value)).getType());
}

namespace {
// @main's aliases (kAliasingOutput), checked: a result aliases at most one argument, of its own
// static type. Returns the first problem in `error`.
std::vector<Alias> read_aliases(mlir::func::FuncOp func, std::string& error) {
  std::vector<Alias> aliases;
  std::vector<bool> taken(func.getNumResults());
  for (unsigned a = 0; a < func.getNumArguments(); ++a) {
    mlir::Attribute attr = func.getArgAttr(a, kAliasingOutput);
    if (!attr) continue;
    auto index = mlir::dyn_cast<mlir::IntegerAttr>(attr);
    const int64_t j = index ? index.getInt() : -1;
    auto type = mlir::dyn_cast<mlir::RankedTensorType>(func.getArgument(a).getType());
    if (j < 0 || j >= func.getNumResults() || func.getResultTypes()[j] != type ||
        !type.hasStaticShape() || taken[j]) {
      error = "argument " + std::to_string(a) + "'s " + kAliasingOutput +
              " must name a distinct result of its own static type";
      return {};
    }
    taken[j] = true;
    aliases.push_back({static_cast<int>(a), static_cast<int>(j)});
  }
  return aliases;
}
}  // namespace

std::unique_ptr<Graph> GraphBuilder::finish(std::span<const int> results,
                                            std::span<const Alias> aliases) {
  auto& b = impl_->builder;
  llvm::SmallVector<mlir::Value> outs;
  llvm::SmallVector<mlir::Type> out_types;
  auto graph = std::make_unique<Graph::Impl>();
  if (!impl_->open_ops.empty())
    throw InternalError("tf::function: a tf::cond or tf::while_loop was left open");
  for (int v : results) {
    outs.push_back(impl_->get(v, "tf::function result"));
    out_types.push_back(outs.back().getType());
    graph->results.push_back(tensor_type_of(outs.back().getType()));
  }
  b.create<mlir::func::ReturnOp>(b.getUnknownLoc(), outs);
  impl_->func.setType(b.getFunctionType(impl_->func.getArgumentTypes(), out_types));
  for (const Alias& alias : aliases)
    impl_->func.setArgAttr(alias.argument, kAliasingOutput, b.getI64IntegerAttr(alias.result));
  std::string error;
  graph->aliases = read_aliases(impl_->func, error);
  if (!error.empty()) throw InternalError("tf::function: " + error);
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
const std::vector<Alias>& Graph::aliases() const { return impl_->aliases; }

std::unique_ptr<Graph> Graph::parse(std::string_view text) {
  auto lock = lock_compiler();
  DiagnosticCollector diags;
  // Verified only after the check below: a verifier's diagnostic prints the op.
  mlir::ParserConfig config(&context(), /*verifyAfterParse=*/false);
  auto module =
      mlir::parseSourceString<mlir::ModuleOp>(llvm::StringRef(text.data(), text.size()), config);
  if (!module) throw InvalidArgumentError("malformed graph:\n" + diags.text());
  // MLIR 19 parses `dense<2.0> : tensor<complex<f32>>` into an attribute whose data is shorter
  // than its type says, and printing it reads past the end; compiled code has no complex
  // values anyway.
  std::string complex_op;  // no exception through MLIR's frames: stop the walk, then raise
  module->walk([&](mlir::Operation* op) {
    bool complex = false;  // anywhere in its attributes, nested ones included
    op->getAttrDictionary().walk([&](mlir::DenseElementsAttr dense) {
      complex = complex || mlir::isa<mlir::ComplexType>(dense.getElementType());
    });
    if (!complex) return mlir::WalkResult::advance();
    complex_op = op->getName().getStringRef().str();
    return mlir::WalkResult::interrupt();
  });
  if (!complex_op.empty())
    throw InvalidArgumentError("malformed graph: '" + complex_op +
                               "' has a complex constant; compiled code has no complex values");
  if (mlir::failed(mlir::verify(*module)))
    throw InvalidArgumentError("malformed graph:\n" + diags.text());
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
  std::string error;
  impl->aliases = read_aliases(func, error);
  if (!error.empty()) throw InvalidArgumentError("malformed graph: " + error);
  impl->module = std::move(module);
  return std::make_unique<Graph>(std::move(impl));
}

}  // namespace tf::compiler
