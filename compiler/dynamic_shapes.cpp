// ShapeProgram: the shapes of a graph traced with unknown dims, re-derived at each call from the
// concrete argument shapes. The graph's ops are flattened once into steps (no MLIR on the call
// path); each step applies the op's shape rule (ShapeRuleOpInterface, core/shape_rules.h) to
// concrete shapes and checks the result against the type traced, which is where tracing's
// assumptions about unknown dims are verified. Compiled code never sees shapes that disagree with
// its types.
#include <functional>

#include "compiler/compiler.h"
#include "compiler/mlir_support.h"
#include "core/shape_rules.h"
#include "ir/dialect.h"
#include "llvm/ADT/DenseMap.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "tfjit/errors.h"

namespace tf::compiler {

struct ShapeProgram::Step {
  core::ShapeRule rule;  // the op's (ShapeRuleOpInterface); null: the traced shape, always
  std::string op;        // "tfjit.binary 'add'", for messages
  std::vector<int> operands;
  int result = 0;          // value number; -1: a check only
  bool in_region = false;  // inside a tf::cond / tf::while_loop region: it may not run
  TensorShape traced;      // the result's type
};

namespace {

// A scalar (the i1 a tf::cond's predicate is read into) has shape ().
TensorShape shape_of(mlir::Type type) {
  auto shaped = mlir::dyn_cast<mlir::ShapedType>(type);
  if (!shaped) return TensorShape{};
  if (!shaped.hasRank()) throw UnimplementedError("a value of unknown rank in a traced graph");
  std::vector<int64_t> dims;
  for (int64_t d : shaped.getShape())
    dims.push_back(mlir::ShapedType::isDynamic(d) ? kUnknownDim : d);
  return TensorShape(std::move(dims));
}

[[noreturn]] void fail(const ShapeProgram::Step& step, const std::string& what) {
  throw InvalidArgumentError("tf::function: at this call, " + step.op + ": " + what);
}

TensorShape evaluate(const ShapeProgram::Step& step, const std::vector<TensorShape>& values) {
  if (!step.rule) return step.traced;
  std::vector<TensorShape> operands;
  operands.reserve(step.operands.size());
  for (int v : step.operands) operands.push_back(values[v]);
  core::ShapeResult r = step.rule(operands);
  if (!r.ok()) fail(step, r.error);
  return std::move(r.shape);
}

// Flattens a block's ops into steps, numbering values as Graph::specialize's walk does: each op's
// regions first (their blocks' arguments, then their ops), then the op's results.
struct Flattener {
  Flattener(std::vector<ShapeProgram::Step>& s, size_t& n) : steps(s), num_values(n) {}
  std::vector<ShapeProgram::Step>& steps;
  size_t& num_values;
  llvm::DenseMap<mlir::Value, int> number;
  int depth = 0;  // of regions around the ops being added

  void push(ShapeProgram::Step step) {
    step.in_region = depth > 0;
    steps.push_back(std::move(step));
  }

  // A value whose shape is its traced type at every call (control flow's results and region
  // arguments: tracing gives them static shapes).
  void add_static(mlir::Value v, const std::string& op) {
    ShapeProgram::Step step;
    step.op = op;
    step.traced = shape_of(v.getType());
    if (!step.traced.is_fully_defined())
      throw UnimplementedError(op + " with unknown dimensions (result shape " +
                               step.traced.to_string() + ") is not supported yet");
    step.result = static_cast<int>(num_values++);
    number[v] = step.result;
    push(std::move(step));
  }

  // A value whose shape is that of each of `same` at every call (the first gives it; the others
  // are checked equal). With a null `v`, only the check.
  void add_same(mlir::Value v, std::vector<mlir::Value> same, const std::string& what) {
    ShapeProgram::Step step;
    step.op = what;
    std::vector<TensorShape> traced;
    for (mlir::Value s : same) {
      step.operands.push_back(number.at(s));
      traced.push_back(shape_of(s.getType()));
    }
    step.rule = core::all_equal(std::move(traced));
    step.traced = shape_of((v ? v : same[0]).getType());
    step.result = v ? static_cast<int>(num_values++) : -1;
    if (v) number[v] = step.result;
    push(std::move(step));
  }

  // tf::cond: each result has its branches' shape (checked equal).
  void add_if(mlir::scf::IfOp op) {
    ++depth;
    add_block(op.getThenRegion().front());
    if (!op.getElseRegion().empty()) add_block(op.getElseRegion().front());
    --depth;
    if (op.getNumResults() == 0) return;
    auto then_yield = op.thenYield(), else_yield = op.elseYield();
    for (unsigned i = 0; i < op.getNumResults(); ++i)
      add_same(op.getResult(i), {then_yield.getOperand(i), else_yield.getOperand(i)},
               "tf::cond (the branches' results)");
  }

  // tf::while_loop: the loop variables keep their initial shapes (checked at the body's end).
  void add_while(mlir::scf::WhileOp op) {
    mlir::Block& before = op.getBefore().front();
    mlir::Block& after = op.getAfter().front();
    const std::string what = "tf::while_loop (a loop variable)";
    ++depth;
    for (auto [arg, init] : llvm::zip(before.getArguments(), op.getInits()))
      add_same(arg, {init}, what);
    add_block(before);
    auto condition = op.getConditionOp();
    for (auto [arg, value] : llvm::zip(after.getArguments(), condition.getArgs()))
      add_same(arg, {value}, what);
    add_block(after);
    for (auto [next, arg] : llvm::zip(op.getYieldOp().getOperands(), before.getArguments()))
      add_same(nullptr, {next, arg}, what);
    --depth;
    for (auto [result, value] : llvm::zip(op.getResults(), condition.getArgs()))
      add_same(result, {value}, what);
  }

  void add_block(mlir::Block& block) {
    for (mlir::Operation& op : block) {
      if (mlir::isa<mlir::func::ReturnOp>(op)) continue;
      if (auto if_op = mlir::dyn_cast<mlir::scf::IfOp>(op)) {
        add_if(if_op);
        continue;
      }
      if (auto while_op = mlir::dyn_cast<mlir::scf::WhileOp>(op)) {
        add_while(while_op);
        continue;
      }
      std::string name = op.getName().getStringRef().str();
      ++depth;
      for (mlir::Region& region : op.getRegions())
        for (mlir::Block& inner : region) {
          for (mlir::BlockArgument arg : inner.getArguments()) add_static(arg, name);
          add_block(inner);
        }
      --depth;
      if (op.getNumResults() == 0) continue;  // tfjit.print, terminators: no shape to derive
      if (op.getNumResults() > 1 || op.getNumRegions() > 0) {
        for (mlir::Value r : op.getResults()) add_static(r, name);
        continue;
      }
      add_op(op, name);
    }
  }

  void add_op(mlir::Operation& op, const std::string& name) {
    ShapeProgram::Step step;
    step.op = name;
    if (auto fn = op.getAttrOfType<mlir::StringAttr>("fn")) step.op += " '" + fn.str() + "'";
    for (mlir::Value v : op.getOperands()) step.operands.push_back(number.at(v));
    step.traced = shape_of(op.getResult(0).getType());
    if (auto rule = mlir::dyn_cast<tfjit::ShapeRuleOpInterface>(op)) {
      step.rule = rule.shapeRule();
    } else if (!step.traced.is_fully_defined()) {
      // The frontend refuses unknown dims for these ops while tracing; a parsed graph may not.
      throw UnimplementedError(step.op + " with unknown dimensions (result shape " +
                               step.traced.to_string() + ") is not supported yet");
    }
    step.result = static_cast<int>(num_values++);
    number[op.getResult(0)] = step.result;
    push(std::move(step));
  }
};

}  // namespace

// The ops inside tf::cond's and tf::while_loop's regions are steps too: their shapes are derived
// at every call, whichever branch runs (a failed assumption there does not raise: see values).
ShapeProgram::ShapeProgram(const Graph& graph) {
  auto lock = lock_compiler();
  auto main = graph.impl_->module->lookupSymbol<mlir::func::FuncOp>("main");
  Flattener flat(steps_, num_values_);
  for (mlir::BlockArgument arg : main.getArguments()) {
    flat.number[arg] = static_cast<int>(num_values_++);
    arguments_.push_back(shape_of(arg.getType()));
  }
  flat.add_block(main.getBody().front());
  for (mlir::Value v : main.getBody().front().getTerminator()->getOperands())
    results_.push_back(flat.number.at(v));
}

ShapeProgram::~ShapeProgram() = default;

std::vector<TensorShape> ShapeProgram::values(std::span<const TensorShape> args,
                                              std::string* region_failure) const {
  if (args.size() != arguments_.size())
    throw InternalError("ShapeProgram: expected " + std::to_string(arguments_.size()) +
                        " argument shapes, got " + std::to_string(args.size()));
  std::vector<TensorShape> values(num_values_);
  for (size_t i = 0; i < args.size(); ++i) {
    if (std::string error = core::match_shape(arguments_[i], args[i]); !error.empty())
      throw InvalidArgumentError("tf::function: graph argument " + std::to_string(i) + ": " +
                                 error);
    values[i] = args[i];
  }
  for (const Step& step : steps_) {
    TensorShape shape;
    try {
      shape = evaluate(step, values);
      if (std::string error = core::match_shape(step.traced, shape); !error.empty())
        fail(step, "result " + error + " (as traced)");
    } catch (const InvalidArgumentError& e) {
      if (!step.in_region) throw;
      // That code may not run at this call. The caller decides: tf::function runs such a call
      // eagerly (frontend/src/function.cpp), Graph::specialize refuses it.
      if (region_failure && region_failure->empty()) *region_failure = e.what();
      shape = step.operands.empty() ? step.traced : values[static_cast<size_t>(step.operands[0])];
    }
    if (step.result >= 0) values[static_cast<size_t>(step.result)] = std::move(shape);
  }
  // Compiled loops run over a zero-element value's other dims; a (2^50, 0) value would spin for
  // days over nothing (a static graph folds such values away; this one cannot).
  for (const TensorShape& v : values) {
    if (v.num_elements() != 0) continue;
    double iterations = 1;
    for (int64_t d : v) iterations *= d > 0 ? static_cast<double>(d) : 1.0;
    if (iterations > 268435456.0)
      throw InvalidArgumentError("tf::function: a value of shape " + v.to_string() +
                                 " has no elements but its other dims span more than 2^28 "
                                 "iterations; compiled loops over it would not finish");
  }
  return values;
}

std::vector<TensorShape> ShapeProgram::run(std::span<const TensorShape> args,
                                           std::string* region_failure) const {
  std::vector<TensorShape> all = values(args, region_failure);
  std::vector<TensorShape> out;
  out.reserve(results_.size());
  // A value may be returned more than once (`return {y, y}`): copy, never move.
  for (int r : results_) out.push_back(all[static_cast<size_t>(r)]);
  return out;
}

// Every value takes the static type its shape at this call gives it; ShapeProgram numbered the
// values in this same walk (arguments, then per op its regions, then its results) and checked
// the shapes.
std::unique_ptr<Graph> Graph::specialize(std::span<const TensorShape> arguments) const {
  std::string region_failure;
  std::vector<TensorShape> shapes = ShapeProgram(*this).values(arguments, &region_failure);
  if (!region_failure.empty())  // static types would contradict each other there
    throw UnimplementedError(
        "specialising a graph whose control flow holds code that these "
        "shapes break (" +
        region_failure + ")");
  auto lock = lock_compiler();
  auto impl = std::make_unique<Impl>();
  impl->module = mlir::OwningOpRef<mlir::ModuleOp>(impl_->module->clone());
  auto main = impl->module->lookupSymbol<mlir::func::FuncOp>("main");
  size_t n = 0;
  auto retype = [&](mlir::Value v) {
    if (n >= shapes.size())
      throw InternalError("specialising a graph: its values and ShapeProgram's disagree");
    const TensorShape& shape = shapes[n++];
    if (auto type = mlir::dyn_cast<mlir::RankedTensorType>(v.getType()))
      v.setType(mlir::RankedTensorType::get(shape.dims(), type.getElementType()));
  };
  for (mlir::BlockArgument arg : main.getArguments()) retype(arg);
  mlir::Operation* ret = main.getBody().front().getTerminator();
  std::function<void(mlir::Block&)> walk = [&](mlir::Block& block) {  // as Flattener numbers
    for (mlir::Operation& op : block) {
      if (&op == ret) continue;
      for (mlir::Region& region : op.getRegions())
        for (mlir::Block& inner : region) {
          for (mlir::BlockArgument arg : inner.getArguments()) retype(arg);
          walk(inner);
        }
      for (mlir::Value r : op.getResults()) retype(r);
    }
  };
  walk(main.getBody().front());
  if (n != shapes.size())
    throw InternalError("specialising a graph: its values and ShapeProgram's disagree");
  main.setType(mlir::FunctionType::get(&context(), main.getBody().front().getArgumentTypes(),
                                       ret->getOperandTypes()));
  DiagnosticCollector diags;
  if (mlir::failed(mlir::verify(*impl->module)))
    throw InternalError("a graph specialised to static shapes failed verification:\n" +
                        diags.text() + print(*impl->module));
  for (mlir::Type t : main.getArgumentTypes())
    impl->arguments.push_back({impl_->arguments[impl->arguments.size()].dtype, shape_of(t)});
  for (mlir::Type t : main.getResultTypes())
    impl->results.push_back({impl_->results[impl->results.size()].dtype, shape_of(t)});
  impl->aliases = impl_->aliases;  // aliased values have static shapes
  return std::make_unique<Graph>(std::move(impl));
}

}  // namespace tf::compiler
