// Pass: linalg ops on buffers -> loop nests shaped for the GPU. Each op's parallel dimensions
// are moved outermost (so a GEMM is parallel over its outputs with the reduction inside each
// thread; reductions to a scalar and scalar arithmetic get a one-iteration parallel loop, so
// they are kernels too, not host code), lowered to one scf.parallel, collapsed into a single
// dimension over all its elements and tiled by kGpuBlockSize: gpu-map-parallel-loops then gives
// the tiles to blocks and a tile's elements to threads, so neighbouring threads touch
// neighbouring elements. A large loop of straight-line code gives each thread kLanes elements
// a block apart, their loads issued together (see coarsen).
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_LINALGTOGPULOOPS
#include "compiler/Passes.h.inc"
namespace {

constexpr int64_t kGpuBlockSize = 256;
// Elements per thread in a coarsened loop, and the size from which loops are coarsened: at least
// 1024 blocks remain, several per multiprocessor on any GPU.
constexpr int64_t kLanes = 4;
constexpr int64_t kCoarsenMinElements = kGpuBlockSize * kLanes * 1024;

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

std::optional<int64_t> constant_index(Value v) {
  if (auto c = v.getDefiningOp<arith::ConstantIndexOp>()) return c.value();
  return std::nullopt;
}

// Why: a thread with one element has one 4-byte load in flight; a memory-bound kernel then keeps
// too few bytes in flight per multiprocessor to reach the bandwidth of HBM (Little's law), and
// ran at 63% of a device-to-device copy on an H200. Here a block covers kLanes * kGpuBlockSize
// elements and each thread kLanes of them, kGpuBlockSize apart (each warp's loads stay
// coalesced); the body is cloned op by op across the lanes, so every lane's loads issue before
// any is used.
// Iterations of an scf.parallel are independent, so any order of the lanes' ops is legal. The
// lanes past the end (when kLanes * kGpuBlockSize does not divide the size) load the last
// element and store nothing. Applies to a 1-D loop from 0 by 1 over a constant size of at least
// kCoarsenMinElements whose body is straight-line loads, stores and pure ops.
bool coarsen(IRRewriter& rewriter, scf::ParallelOp op) {
  if (op.getNumLoops() != 1 || op.getNumReductions() != 0) return false;
  auto lower = constant_index(op.getLowerBound()[0]), step = constant_index(op.getStep()[0]);
  auto size = constant_index(op.getUpperBound()[0]);
  if (lower != 0 || step != 1 || !size || *size < kCoarsenMinElements) return false;
  for (Operation& inner : op.getBody()->without_terminator())
    if (inner.getNumRegions() != 0 ||
        !(isa<memref::LoadOp, memref::StoreOp>(inner) || isMemoryEffectFree(&inner)))
      return false;

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  const int64_t tile = kLanes * kGpuBlockSize;
  const bool ragged = *size % tile != 0;
  auto index = [&](int64_t v) { return rewriter.create<arith::ConstantIndexOp>(loc, v); };
  auto blocks = rewriter.create<scf::ParallelOp>(
      loc, ValueRange{index(0)}, ValueRange{index((*size + tile - 1) / tile * tile)},
      ValueRange{index(tile)});
  rewriter.setInsertionPoint(blocks.getBody()->getTerminator());
  auto threads = rewriter.create<scf::ParallelOp>(
      loc, ValueRange{index(0)}, ValueRange{index(kGpuBlockSize)}, ValueRange{index(1)});
  rewriter.setInsertionPoint(threads.getBody()->getTerminator());
  Value first = rewriter.create<arith::AddIOp>(loc, blocks.getInductionVars()[0],
                                               threads.getInductionVars()[0]);
  Value last = index(*size - 1);
  SmallVector<IRMapping> lanes(kLanes);
  SmallVector<Value> in_range(kLanes);
  for (int64_t k = 0; k < kLanes; ++k) {
    Value i = rewriter.create<arith::AddIOp>(loc, first, index(k * kGpuBlockSize));
    if (ragged) {
      in_range[k] = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ule, i, last);
      i = rewriter.create<arith::MinUIOp>(loc, i, last);
    }
    lanes[k].map(op.getInductionVars()[0], i);
  }
  for (Operation& inner : op.getBody()->without_terminator())
    for (int64_t k = 0; k < kLanes; ++k) {
      if (ragged && isa<memref::StoreOp>(inner)) {
        auto guard = rewriter.create<scf::IfOp>(loc, in_range[k], /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(rewriter);
        rewriter.setInsertionPoint(guard.thenBlock()->getTerminator());
        rewriter.clone(inner, lanes[k]);
      } else {
        rewriter.clone(inner, lanes[k]);
      }
    }
  rewriter.eraseOp(op);
  return true;
}

struct LinalgToGpuLoopsPass : impl::LinalgToGpuLoopsBase<LinalgToGpuLoopsPass> {
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
    // Collapsing multiplies the sizes and divides the index by them: folded to constants, a
    // loop's size is known here (coarsen, launch sizes) and its divisors become constants that
    // compiler/gpu_codegen.cpp copies into the kernels.
    (void)applyPatternsAndFoldGreedily(getOperation(), FrozenRewritePatternSet());
    for (scf::ParallelOp op : outermost_parallel_loops(getOperation()))
      // Full tiles with a bounds check inside: launch sizes must be constants.
      if (!coarsen(rewriter, op))
        scf::tileParallelLoop(op, {kGpuBlockSize}, /*noMinMaxBounds=*/true);
  }
};

}  // namespace

std::unique_ptr<Pass> create_linalg_to_gpu_loops_pass() {
  return std::make_unique<LinalgToGpuLoopsPass>();
}

}  // namespace tf::compiler
