// Pass: the arith ops LLVM has no instruction for (ceildivsi, ceildivui, floordivsi) -> plain
// arithmetic. Float max/min stay ops and become LLVM's maximum/maxnum intrinsics: the stock
// -arith-expand also rewrites them as compare-and-select chains that read the accumulator
// several times, which hides a max reduction from LLVM's vectoriser.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_EXPANDINTEGERDIVISION
#include "compiler/Passes.h.inc"
namespace {

struct ExpandIntegerDivisionPass : impl::ExpandIntegerDivisionBase<ExpandIntegerDivisionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateCeilFloorDivExpandOpsPatterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> create_expand_integer_division_pass() {
  return std::make_unique<ExpandIntegerDivisionPass>();
}

}  // namespace tf::compiler
