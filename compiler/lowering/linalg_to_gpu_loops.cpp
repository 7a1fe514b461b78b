// Pass: linalg ops on buffers -> loop nests shaped for the GPU. Each op's parallel dimensions
// are moved outermost (so a GEMM is parallel over its outputs with the reduction inside each
// thread; reductions to a scalar and scalar arithmetic get a one-iteration parallel loop, so
// they are kernels too, not host code), lowered to one scf.parallel, collapsed into a single
// dimension over all its elements and tiled by kGpuBlockSize: gpu-map-parallel-loops then gives
// the tiles to blocks and a tile's elements to threads, so neighbouring threads touch
// neighbouring elements.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tf::compiler {
namespace {

constexpr int64_t kGpuBlockSize = 256;

SmallVector<scf::ParallelOp> outermost_parallel_loops(ModuleOp module) {
  SmallVector<scf::ParallelOp> loops;
  module.walk([&](scf::ParallelOp op) {
    if (!op->getParentOfType<scf::ParallelOp>()) loops.push_back(op);
  });
  return loops;
}

// An op without loops (rank-0 operands): its body on loaded scalars, results stored.
void inline_scalar_op(IRRewriter& rewriter, linalg::LinalgOp op) {
  Location loc = op.getLoc();
  IRMapping values;
  for (OpOperand& operand : op->getOpOperands())
    if (op.payloadUsesValueFromOperand(&operand))
      values.map(op.getMatchingBlockArgument(&operand),
                 isa<MemRefType>(operand.get().getType())
                     ? rewriter.create<memref::LoadOp>(loc, operand.get()).getResult()
                     : operand.get());  // a scalar operand (linalg.fill's value)
  for (Operation& inner : op.getBlock()->without_terminator()) rewriter.clone(inner, values);
  auto yield = cast<linalg::YieldOp>(op.getBlock()->getTerminator());
  for (auto [value, init] : llvm::zip(yield.getOperands(), op.getDpsInits()))
    rewriter.create<memref::StoreOp>(loc, values.lookupOrDefault(value), init);
  rewriter.eraseOp(op);
}

struct LinalgToGpuLoopsPass : PassWrapper<LinalgToGpuLoopsPass, OperationPass<ModuleOp>> {
  StringRef getArgument() const override { return "tfjit-linalg-to-gpu-loops"; }
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      if (op.getNumParallelLoops() == 0) {
        // A reduction to a scalar, or arithmetic on scalars: one thread in a one-iteration
        // parallel loop, which makes it a kernel instead of host code.
        Location loc = op.getLoc();
        Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
        Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
        auto single = rewriter.create<scf::ParallelOp>(loc, ValueRange{zero}, ValueRange{one},
                                                       ValueRange{one});
        op->moveBefore(single.getBody()->getTerminator());
        rewriter.setInsertionPoint(op);
        if (op.getNumLoops() == 0) {
          inline_scalar_op(rewriter, op);
          continue;
        }
      }
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation())) {
        SmallVector<unsigned> order;  // parallel dims first, each group in its old order
        auto iterators = generic.getIteratorTypesArray();
        for (unsigned i = 0; i < iterators.size(); ++i)
          if (linalg::isParallelIterator(iterators[i])) order.push_back(i);
        for (unsigned i = 0; i < iterators.size(); ++i)
          if (!linalg::isParallelIterator(iterators[i])) order.push_back(i);
        auto interchanged = linalg::interchangeGenericOp(rewriter, generic, order);
        if (failed(interchanged)) return signalPassFailure();
        op = *interchanged;
      }
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
        op->emitError("cannot lower to GPU loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
    for (scf::ParallelOp op : outermost_parallel_loops(getOperation())) {
      unsigned rank = op.getNumLoops();
      if (rank < 2) continue;
      std::vector<unsigned> all(rank);
      for (unsigned i = 0; i < rank; ++i) all[i] = i;
      rewriter.setInsertionPoint(op);
      collapseParallelLoops(rewriter, op, {all});
    }
    for (scf::ParallelOp op : outermost_parallel_loops(getOperation()))
      // Full tiles with a bounds check inside: launch sizes must be constants.
      scf::tileParallelLoop(op, {kGpuBlockSize}, /*noMinMaxBounds=*/true);
  }
};

}  // namespace

std::unique_ptr<Pass> create_linalg_to_gpu_loops_pass() {
  return std::make_unique<LinalgToGpuLoopsPass>();
}

}  // namespace tf::compiler
