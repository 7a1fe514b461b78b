// Pass: linalg ops on buffers -> loops. Ops with at least kParallelElements iterations (or a
// size known only at run time) get an scf.parallel over their parallel dimensions, which
// async-parallel-for then splits over the worker threads; smaller ops stay sequential, since
// handing work to threads costs more than it saves below that size.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tf::compiler {
namespace {

bool worth_threads(linalg::LinalgOp op) {
  if (op.getNumParallelLoops() == 0) return false;
  int64_t iterations = 1;
  for (int64_t size : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(size)) return true;
    iterations *= size;
  }
  return iterations >= kParallelElements;
}

struct LinalgToLoopsPass : PassWrapper<LinalgToLoopsPass, OperationPass<ModuleOp>> {
  StringRef getArgument() const override { return "tfjit-linalg-to-loops"; }
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (auto op : ops) {
      rewriter.setInsertionPoint(op);
      auto loops = worth_threads(op) ? linalg::linalgOpToParallelLoops(rewriter, op)
                                     : linalg::linalgOpToLoops(rewriter, op);
      if (failed(loops)) {
        op->emitError("cannot lower to loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_linalg_to_loops_pass() {
  return std::make_unique<LinalgToLoopsPass>();
}

}  // namespace tf::compiler
