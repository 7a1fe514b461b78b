// Pass: float32 transcendentals (exp, log, tanh, erf, sin, ...) -> MLIR's polynomial
// approximations, plain arithmetic that LLVM vectorises with the loop around it. As calls to
// libm they stay scalar: a compiled softmax spent most of its time in one expf call per element.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {
namespace {

struct ApproximateMathPass : PassWrapper<ApproximateMathPass, OperationPass<ModuleOp>> {
  StringRef getArgument() const override { return "tfjit-approximate-math"; }
  StringRef getDescription() const override {
    return "float32 math functions as vectorisable polynomial approximations";
  }
  void getDependentDialects(DialectRegistry& registry) const override {
    registry.insert<arith::ArithDialect, math::MathDialect, vector::VectorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> create_approximate_math_pass() {
  return std::make_unique<ApproximateMathPass>();
}

}  // namespace tf::compiler
