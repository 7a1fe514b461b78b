// Pass: bfloat16 <-> float32 conversions as integer shifts and rounding (MLIR's bf16 expansion),
// for the CPU. bfloat16 elementwise ops compute in float32 (to_linalg/elementwise.cpp); as
// fpext/fptrunc, LLVM narrows a compare, select or fabs of the widened values back to bfloat,
// which x86 scalarises (a bfloat16 relu ran 12x slower than a float32 one). As integers the
// float32 work stays float32 and vectorises.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_EXPANDBFLOAT16
#include "compiler/Passes.h.inc"
namespace {

struct ExpandBFloat16Pass : impl::ExpandBFloat16Base<ExpandBFloat16Pass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> create_expand_bfloat16_pass() {
  return std::make_unique<ExpandBFloat16Pass>();
}

}  // namespace tf::compiler
