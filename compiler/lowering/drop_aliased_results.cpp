// Pass: after bufferization, a result written into its aliased argument (alias_arguments.cpp) is
// that argument's buffer; it leaves the function's results, so the caller passes no output buffer
// for it (Executable::run), and a copy of the buffer onto itself goes. Anything else there means
// the aliasing was not honoured: an error, not a silent copy the caller would never see.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_DROPALIASEDRESULTS
#include "compiler/Passes.h.inc"

namespace {

// The buffer `v` views unchanged: through casts, and a collapse undone by an expand (what
// alias_arguments leaves where it looked through a reshape).
Value view_source(Value v) {
  while (v) {
    if (auto cast = v.getDefiningOp<memref::CastOp>()) {
      v = cast.getSource();
    } else if (auto expand = v.getDefiningOp<memref::ExpandShapeOp>()) {
      auto collapse = expand.getSrc().getDefiningOp<memref::CollapseShapeOp>();
      if (!collapse || collapse.getSrcType() != expand.getResultType() ||
          collapse.getReassociationIndices() != expand.getReassociationIndices())
        return v;
      v = collapse.getSrc();
    } else {
      return v;
    }
  }
  return v;
}

struct DropAliasedResultsPass : impl::DropAliasedResultsBase<DropAliasedResultsPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (func.isExternal()) return;
      auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
      llvm::BitVector dropped(ret.getNumOperands());
      for (unsigned a = 0; a < func.getNumArguments(); ++a) {
        auto attr = func.getArgAttrOfType<IntegerAttr>(a, kAliasingOutput);
        if (!attr) continue;
        const int64_t j = attr.getInt();
        Value returned = j >= 0 && j < ret.getNumOperands() ? ret.getOperand(j) : Value();
        returned = view_source(returned);
        if (returned != func.getArgument(a) || dropped.test(j)) {
          func.emitError() << "result " << j << " was not written into argument " << a;
          return signalPassFailure();
        }
        dropped.set(j);
        func.removeArgAttr(a, kAliasingOutput);
      }
      if (dropped.none()) return;
      // What a result computed in place left of its materialize_in_destination.
      func.walk([](memref::CopyOp copy) {
        if (copy.getSource() == copy.getTarget()) copy.erase();
      });
      for (int j = static_cast<int>(dropped.size()) - 1; j >= 0; --j)
        if (dropped.test(j)) ret->eraseOperand(j);
      func.eraseResults(dropped);
    });
  }
};

}  // namespace

std::unique_ptr<Pass> create_drop_aliased_results_pass() {
  return std::make_unique<DropAliasedResultsPass>();
}

}  // namespace tf::compiler
