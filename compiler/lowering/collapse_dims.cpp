// Pass: a linalg.generic on statically shaped tensors iterates each run of adjacent loops of one
// iterator type that every operand indexes contiguously as one loop over collapsed views (views
// after bufferization).
// - Elementwise ops become one long contiguous loop that vectorises: over (n, h, w, c) with 16
//   channels the innermost loop had 16 iterations and stayed scalar (a relu gradient ran 8x slower
//   than a copy).
// - Reductions over leading axes (bias and layer-norm gradients over (batch, seq)) keep one
//   reduction loop: with two, LLVM fully unrolled the short outer one around the vectorised inner
//   one, which doubled the transformer step's machine code and compile time.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_COLLAPSEDIMS
#include "compiler/Passes.h.inc"

namespace {

// Runs of adjacent loops of one iterator type that every operand indexes contiguously, in order
// (or not at all): each run can iterate as one loop over a collapsed view.
SmallVector<ReassociationIndices> collapsible_runs(linalg::GenericOp op) {
  SmallVector<ReassociationIndices> runs;
  for (Value v : op->getOperands()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape()) return runs;
  }
  // linalg.index would see the collapsed index.
  if (op.getBody()->walk([](linalg::IndexOp) { return WalkResult::interrupt(); }).wasInterrupted())
    return runs;
  auto maps = op.getIndexingMapsArray();
  // Only operands read at permuted loop indices (MLIR's collapsing mishandles constant indices).
  if (!llvm::all_of(maps, [](AffineMap m) { return m.isProjectedPermutation(); })) return {};
  auto iterators = op.getIteratorTypesArray();
  for (int64_t d = 0, n = op.getNumLoops(); d < n;) {
    ReassociationIndices run{d};
    while (run.back() + 1 < n && iterators[run.back() + 1] == iterators[d]) {
      ReassociationIndices longer = run;
      longer.push_back(run.back() + 1);
      if (!linalg::areDimSequencesPreserved(maps, {longer})) break;
      run = std::move(longer);
    }
    d = run.back() + 1;
    if (run.size() > 1) runs.push_back(std::move(run));
  }
  return runs;
}

struct CollapseDimsPass : impl::CollapseDimsBase<CollapseDimsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, SmallVector<ReassociationIndices>>> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto runs = collapsible_runs(op); !runs.empty()) ops.emplace_back(op, std::move(runs));
    });
    IRRewriter rewriter(&getContext());
    for (auto& [op, runs] : ops) {
      rewriter.setInsertionPoint(op);
      auto collapsed = linalg::collapseOpIterationDims(op, runs, rewriter);
      if (failed(collapsed)) continue;
      rewriter.replaceOp(op, collapsed->results);
    }
    // A collapsed init is a reshape of a tensor.empty: made an empty of the collapsed type, so
    // that unshare-inits sees it (200 ops writing into views of one shared empty made one-shot
    // bufferization quadratic again: 0.18 -> 0.88 s on a 1000-op graph).
    getOperation().walk([&](Operation* reshape) {
      if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(reshape)) return;
      auto type = cast<RankedTensorType>(reshape->getResult(0).getType());
      if (!reshape->getOperand(0).getDefiningOp<tensor::EmptyOp>() || !type.hasStaticShape())
        return;
      rewriter.setInsertionPoint(reshape);
      rewriter.replaceOpWithNewOp<tensor::EmptyOp>(reshape, type.getShape(), type.getElementType());
    });
  }
};

}  // namespace

std::unique_ptr<Pass> create_collapse_dims_pass() { return std::make_unique<CollapseDimsPass>(); }

}  // namespace tf::compiler
