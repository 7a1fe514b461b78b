// Pass: float32 exp, tanh and erf -> MLIR's polynomial approximations, plain arithmetic that
// LLVM vectorises with the loop around it. As calls to libm they stay scalar: a compiled softmax
// spent most of its time in one expf call per element. The approximations are within a few ulp
// of the eager kernels (libm's, and ops/special_functions.h's exp;
// tests/approximate_math_test.cpp), except that exp flushes results below FLT_MIN (x < -87.3) to 0
// where libm gives subnormals. Only these: MLIR's log clamps its input to FLT_MIN (wrong for
// subnormals), its expm1 overflows to inf from x = 88 where the result is finite, and its sin/cos
// reduce the argument with one float32 constant (wrong far from 0), so those stay libm calls, as
// does every other float type (float16, bfloat16, float64).
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_APPROXIMATEMATH
#include "compiler/Passes.h.inc"
namespace {

struct ApproximateMathPass : impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    SmallVector<Operation*> ops;
    getOperation().walk([&](Operation* op) {
      if (isa<math::ExpOp, math::TanhOp, math::ErfOp>(op) &&
          getElementTypeOrSelf(op->getResult(0).getType()).isF32())
        ops.push_back(op);
    });
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingOps;  // what they expand to stays
    if (failed(applyOpPatternsAndFold(ops, std::move(patterns), config))) signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> create_approximate_math_pass() {
  return std::make_unique<ApproximateMathPass>();
}

}  // namespace tf::compiler
