// Pass: MLIR's elementwise fusion on tensors (linalg.generic producers into consumers, reshapes
// propagated through generics, constants folded), with tfjit's rules:
// - a named linalg op (matmul, batch_matmul, fill, ...) is never rewritten. The stock pass
// (-linalg-fuse-elementwise-ops) folds a tensor.expand_shape / collapse_shape next to a matmul
// into it, which turns linalg.matmul into a higher-rank linalg.generic contraction: the library
// call pass no longer recognises it and the GEMM runs as generated scalar loops;
// - a scalar (a generic without loops) is not fused into a loop: it would be computed again at
//   every element (Adam's bias correction: two powf per parameter, 1.9x the update's time);
// - a broadcast (a loop reading only scalars: a constant fill, a 0-d tensor) is copied into each
//   generic that reads it, and an elementwise producer read by later ops as well fuses into its
//   first elementwise consumer, the fused loop also yielding the producer's value for the others.
//   An optimizer's update is then one loop per variable (Adam: the new m, v and parameter from
//   one read of each), where it was three, each reading the constants from a broadcast buffer.
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

bool all_parallel(linalg::GenericOp op) {
  return op.getNumLoops() > 0 && op.getNumLoops() == op.getNumParallelLoops();
}

// A loop whose every input is a scalar (read through a map without results): a constant fill or a
// broadcast of a 0-d tensor. Cheaper to recompute in each consumer than to read from a buffer.
bool is_broadcast(linalg::GenericOp op) {
  return all_parallel(op) && op.getNumResults() == 1 &&
         llvm::all_of(
             op.getDpsInputOperands(),
             [&](OpOperand* in) { return op.getMatchingIndexingMap(in).getNumResults() == 0; }) &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)) &&
         op.getBody()->getOps<linalg::IndexOp>().empty();
}

// Gives each elementwise generic that reads a broadcast its own copy, so that single-use fusion
// takes it in.
void copy_broadcasts_into_consumers(Operation* root) {
  SmallVector<linalg::GenericOp> broadcasts;
  root->walk([&](linalg::GenericOp op) {
    if (is_broadcast(op) && !op->hasOneUse()) broadcasts.push_back(op);
  });
  OpBuilder b(root->getContext());
  for (linalg::GenericOp op : broadcasts) {
    SmallVector<OpOperand*> uses;
    for (OpOperand& use : op->getResult(0).getUses())
      if (auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
          consumer && all_parallel(consumer))
        uses.push_back(&use);
    // One consumer keeps the original, which any other users keep reading.
    for (size_t i = 1; i < uses.size(); ++i) {
      OpOperand* use = uses[i];
      b.setInsertionPoint(use->getOwner());
      use->set(b.clone(*op)->getResult(0));
    }
  }
}

// Whether `producer`'s other users all come after `consumer` in its block: the fused op, placed at
// the consumer, then defines the value before them.
bool others_follow(Operation* producer, Operation* consumer) {
  return llvm::all_of(producer->getUsers(), [&](Operation* user) {
    return user == consumer ||
           (user->getBlock() == consumer->getBlock() && consumer->isBeforeInBlock(user));
  });
}

// Fuses an elementwise producer that later ops read as well into its first elementwise consumer:
// the fused loop yields the producer's values too, and the later readers read those. (MLIR's
// pattern would leave the producer in place for them, computing it twice.)
struct FuseIntoFirstConsumer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter& rewriter) const override {
    if (!all_parallel(consumer)) return failure();
    for (OpOperand& operand : consumer->getOpOperands()) {
      auto producer = operand.get().getDefiningOp<linalg::GenericOp>();
      // Same block (not moved into a loop body), and read at the consumer's own positions: read
      // through a broadcast, the fused loop would store each producer value many times.
      if (!producer || producer->hasOneUse() || !all_parallel(producer) ||
          producer->getBlock() != consumer->getBlock() ||
          !consumer.getMatchingIndexingMap(&operand).isPermutation() ||
          !others_follow(producer, consumer) || !linalg::areElementwiseOpsFusable(&operand))
        continue;
      // Read through this operand only: another would be left reading the fused op's own result.
      if (llvm::count_if(consumer->getOperands(), [&](Value v) {
            return v.getDefiningOp() == producer.getOperation();
          }) != 1)
        continue;
      auto fused = linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused)) continue;
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceAllUsesWith(original, replacement);
      rewriter.eraseOp(consumer);
      rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

struct FuseElementwisePass : impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext* ctx = &getContext();
    copy_broadcasts_into_consumers(getOperation());
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
    patterns.add<FuseIntoFirstConsumer>(ctx);
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
