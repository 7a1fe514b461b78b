// Pass: input-output aliasing, as XLA does it. An argument marked `tfjit.aliasing_output = j` (a
// variable the call reads and assigns: frontend/src/trace.cpp) receives result j in its own
// buffer. The argument becomes writable, the result materialises in it
// (bufferization.materialize_in_destination), and the op computing the result writes straight
// into it when its init is a tensor.empty: an optimizer's update then reads and writes each
// variable once, in place. Where the argument is still read after that op, One-Shot
// Bufferize computes the result elsewhere and copies it over. drop_aliased_results then removes the
// result, which is the argument itself.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_ALIASARGUMENTS
#include "compiler/Passes.h.inc"

namespace {

// Makes the op computing `result` write into `dest`, a value of the same type: only when its init
// is a tensor.empty (CSE may have shared it) the op never reads, so no value changes.
void compute_into(Value result, Value dest) {
  auto op = result.getDefiningOp<linalg::LinalgOp>();
  if (!op || !result.hasOneUse()) return;
  OpOperand* init = op.getDpsInitOperand(cast<OpResult>(result).getResultNumber());
  if (init->get().getDefiningOp<tensor::EmptyOp>() && !op.payloadUsesValueFromOperand(init))
    init->set(dest);
}

// `collapse`'s view of `dest`: the one the function already has (so that One-Shot Bufferize sees a
// loop reading and writing the same value), else a new one, placed where both dominate every use.
Value collapsed_view(Value dest, tensor::ExpandShapeOp expand) {
  tensor::CollapseShapeOp view;
  for (Operation* user : dest.getUsers()) {
    auto c = dyn_cast<tensor::CollapseShapeOp>(user);
    if (c && c.getResultType() == expand.getSrcType() &&
        c.getReassociationIndices() == expand.getReassociationIndices() &&
        c->getBlock() == dest.getParentBlock())
      view = c;
  }
  if (!view)
    view = OpBuilder(expand).create<tensor::CollapseShapeOp>(
        expand.getLoc(), expand.getSrcType(), dest, expand.getReassociationIndices());
  if (Operation* def = dest.getDefiningOp())
    view->moveAfter(def);
  else
    view->moveBefore(&dest.getParentBlock()->front());
  return view.getResult();
}

// The argument `v` is, or is a reshape or cast of; null if none.
BlockArgument viewed_argument(Value v) {
  while (Operation* op = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp, tensor::ReshapeOp>(op))
      return nullptr;
    v = op->getOperand(0);
  }
  return dyn_cast<BlockArgument>(v);
}

// Result `j` of `func`, whose argument `a` aliases it, materialises in that argument. The
// reshapes collapse_dims leaves after a collapsed loop are looked through: the loop's value
// materialises in the matching view of the argument (One-Shot Bufferize sees that the loop then
// wrote it in place only when the two are the same value), and the reshape is redone after.
void materialize_in_argument(func::FuncOp func, func::ReturnOp ret, unsigned a, unsigned j) {
  Value source = ret.getOperand(j), dest = func.getArgument(a);
  // Whether `v` is (a view of) another aliased argument: one that may be written in place
  // before this result is (two variables swapping values), so its value is copied first.
  auto other_aliased = [&](Value v) {
    BlockArgument viewed = viewed_argument(v);
    return viewed && viewed != dest && func.getArgAttr(viewed.getArgNumber(), kAliasingOutput);
  };
  // copy_aliased_results' copy of a value returned twice or of an argument: materialising
  // copies, unless the value is another aliased argument's.
  if (auto copy = source.getDefiningOp<bufferization::AllocTensorOp>()) {
    if (copy.getCopy() && source.hasOneUse() && !other_aliased(copy.getCopy())) {
      source = copy.getCopy();
      ret.setOperand(j, source);
      copy.erase();
    }
  } else if (other_aliased(source)) {  // a view of one: copied where the view is made
    OpBuilder at = source.getDefiningOp() ? OpBuilder(source.getContext())
                                          : OpBuilder::atBlockBegin(&func.getBody().front());
    if (Operation* def = source.getDefiningOp()) at.setInsertionPointAfter(def);
    source = at.create<bufferization::AllocTensorOp>(
        source.getLoc(), cast<mlir::RankedTensorType>(source.getType()), ValueRange{}, source);
  }
  SmallVector<tensor::ExpandShapeOp> expands;
  while (auto expand = source.getDefiningOp<tensor::ExpandShapeOp>()) {
    if (!source.hasOneUse()) break;
    dest = collapsed_view(dest, expand);
    expands.push_back(expand);
    source = expand.getSrc();
  }
  compute_into(source, dest);
  OpBuilder b(ret);
  Value result =
      b.create<bufferization::MaterializeInDestinationOp>(ret.getLoc(), source, dest).getResult();
  for (tensor::ExpandShapeOp expand : llvm::reverse(expands))
    result = b.create<tensor::ExpandShapeOp>(expand.getLoc(), expand.getResultType(), result,
                                             expand.getReassociationIndices());
  ret.setOperand(j, result);
  for (tensor::ExpandShapeOp expand : expands) expand.erase();  // first the outermost, now unused
}

struct AliasArgumentsPass : impl::AliasArgumentsBase<AliasArgumentsPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (func.isExternal()) return;
      auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
      for (unsigned a = 0; a < func.getNumArguments(); ++a) {
        auto attr = func.getArgAttrOfType<IntegerAttr>(a, kAliasingOutput);
        if (!attr) continue;
        const int64_t j = attr.getInt();
        if (j < 0 || j >= ret.getNumOperands() ||
            ret.getOperand(j).getType() != func.getArgument(a).getType()) {
          func.emitError() << "argument " << a << " aliases result " << j
                           << ", which does not exist or has another type";
          return signalPassFailure();
        }
        func.setArgAttr(a, "bufferization.writable", BoolAttr::get(func.getContext(), true));
        materialize_in_argument(func, ret, a, static_cast<unsigned>(j));
      }
    });
  }
};

}  // namespace

std::unique_ptr<Pass> create_alias_arguments_pass() {
  return std::make_unique<AliasArgumentsPass>();
}

}  // namespace tf::compiler
