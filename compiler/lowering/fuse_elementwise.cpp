// Pass: MLIR's elementwise fusion on tensors (linalg.generic producers into consumers, reshapes
// propagated through generics, constants folded), with one rule of tfjit's: a named linalg op
// (matmul, batch_matmul, fill, ...) is never rewritten. The stock pass
// (-linalg-fuse-elementwise-ops) folds a tensor.expand_shape / collapse_shape next to a matmul
// into it, which turns linalg.matmul into a higher-rank linalg.generic contraction: the library
// call pass no longer recognises it and the GEMM runs as generated scalar loops.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "compiler/Passes.h.inc"
namespace {

// A linalg op that fusion may rewrite: a generic one. Other ops take part as they are.
bool rewritable(Operation* op) {
  return !op || !isa<linalg::LinalgOp>(op) || isa<linalg::GenericOp>(op);
}

struct FuseElementwisePass : impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext* ctx = &getContext();
    // The stock pass's rule (a producer with one use) plus tfjit's: both ends rewritable.
    linalg::ControlFusionFn control = [](OpOperand* operand) {
      Operation* producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse() && rewritable(producer) &&
             rewritable(operand->getOwner());
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;  // as the stock pass: compile time
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns), config);
  }
};

}  // namespace

std::unique_ptr<Pass> create_fuse_elementwise_pass() {
  return std::make_unique<FuseElementwisePass>();
}

}  // namespace tf::compiler
