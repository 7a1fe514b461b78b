// Pass: MLIR's elementwise fusion on tensors (linalg.generic producers into consumers, reshapes
// propagated through generics, constants folded), with tfjit's rules:
// - a named linalg op (matmul, batch_matmul, fill, ...) is never rewritten. The stock pass
// (-linalg-fuse-elementwise-ops) folds a tensor.expand_shape / collapse_shape next to a matmul
// into it, which turns linalg.matmul into a higher-rank linalg.generic contraction: the library
// call pass no longer recognises it and the GEMM runs as generated scalar loops;
// - a scalar (a generic without loops) is not fused into a loop: it would be computed again at
//   every element (Adam's bias correction: two powf per parameter, 1.9x the update's time).
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
    linalg::ControlFusionFn elementwise = [control](OpOperand* operand) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
      if (producer && consumer && producer.getNumLoops() == 0 && consumer.getNumLoops() > 0)
        return false;
      return control(operand);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, elementwise);
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
