// Pass: tfjit dialect -> linalg on tensors. Each op family's patterns live in
// compiler/lowering/to_linalg/ (elementwise ops become linalg.generic with the scalar op from the
// op table; broadcasts generic ops with projected indexing maps, so linalg's elementwise fusion
// can merge whole chains into one loop nest). A conversion target makes the dialect illegal: an
// op no family lowers fails the pass.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DECL_TFJITTOLINALG
#define GEN_PASS_DEF_TFJITTOLINALG
#include "compiler/Passes.h.inc"

namespace {

struct TfjitToLinalgPass : impl::TfjitToLinalgBase<TfjitToLinalgPass> {
  TfjitToLinalgPass() = default;
  TfjitToLinalgPass(bool named_matmul, bool parallel_scans, bool host_library_calls,
                    bool device_conv_calls, bool device_scatter_calls) {
    namedMatmul = named_matmul;
    parallelScans = parallel_scans;
    hostLibraryCalls = host_library_calls;
    deviceConvCalls = device_conv_calls;
    deviceScatterCalls = device_scatter_calls;
  }
  void runOnOperation() override {
    // A value with no elements needs no computation, however large its other dims: (2^57, 0, 0)
    // products would loop over 2^57 empty batches. Such ops become tensor.empty.
    getOperation().walk([](Operation* op) {
      if (!isa<tfjit::TfjitDialect>(op->getDialect()) || op->getNumResults() == 0 ||
          op->getNumRegions() > 0)
        return;
      auto empty = [](Type t) {
        auto r = dyn_cast<RankedTensorType>(t);
        return r && r.hasStaticShape() && llvm::is_contained(r.getShape(), 0);
      };
      if (!llvm::all_of(op->getResultTypes(), empty)) return;
      OpBuilder b(op);
      SmallVector<Value> values;
      for (Type t : op->getResultTypes()) {
        auto r = cast<RankedTensorType>(t);
        values.push_back(b.create<tensor::EmptyOp>(op->getLoc(), r.getShape(), r.getElementType()));
      }
      op->replaceAllUsesWith(values);
      op->erase();
    });
    // Matmuls first, while the transposes they may fold are still tfjit ops.
    // Calls the GPU's launch plan runs exclude calls of host kernels.
    const bool device_calls = deviceConvCalls || deviceScatterCalls;
    const to_linalg::Options options{namedMatmul, parallelScans, hostLibraryCalls && !device_calls,
                                     deviceConvCalls, deviceScatterCalls};
    RewritePatternSet matmuls(&getContext());
    to_linalg::populate(to_linalg::Phase::kMatmuls, matmuls, options);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(matmuls))))
      return signalPassFailure();
    // Every tfjit op must go: an op no family lowers fails the pass, naming it.
    RewritePatternSet patterns(&getContext());
    to_linalg::populate(to_linalg::Phase::kOps, patterns, options);
    ConversionTarget target(getContext());
    target.addIllegalDialect<tfjit::TfjitDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation*) { return true; });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> create_tfjit_to_linalg_pass(bool named_matmul, bool parallel_scans,
                                                  bool host_library_calls, bool device_conv_calls,
                                                  bool device_scatter_calls) {
  return std::make_unique<TfjitToLinalgPass>(named_matmul, parallel_scans, host_library_calls,
                                             device_conv_calls, device_scatter_calls);
}

}  // namespace tf::compiler
