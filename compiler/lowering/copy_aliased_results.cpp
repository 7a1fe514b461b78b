// Pass: each tensor a function returns becomes a fresh tensor. Results become the caller's output
// buffers, so a returned argument, or a value returned twice, gets its own copy. It runs right
// before bufferization, after every canonicalisation: folding `x * 1`, `x - 0`, `maximum(x, x)`
// or a reshape to its own shape can turn a computed result into an argument at any earlier
// point, and an aliased result crashes MLIR's promotion of results to out-parameters.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_COPYALIASEDRESULTS
#include "compiler/Passes.h.inc"

namespace {

struct CopyAliasedResultsPass : impl::CopyAliasedResultsBase<CopyAliasedResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      OpBuilder b(ret);
      llvm::SmallPtrSet<Value, 4> seen;
      for (OpOperand& operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type || (!isa<BlockArgument>(v) && seen.insert(v).second)) continue;
        operand.set(b.create<bufferization::AllocTensorOp>(ret.getLoc(), type, ValueRange{}, v));
      }
    });
  }
};

}  // namespace

std::unique_ptr<Pass> create_copy_aliased_results_pass() {
  return std::make_unique<CopyAliasedResultsPass>();
}

}  // namespace tf::compiler
