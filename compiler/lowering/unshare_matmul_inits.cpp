// Pass: gives every matmul its own zero-filled accumulator, right before it. CSE merges the
// identical `linalg.fill(tensor.empty)` inits of equally shaped matmuls; bufferization would then
// copy the shared zeros into each result, and the GEMM library call (which needs a freshly
// zeroed accumulator to compute C = A * B) and the dense-layer fusion would not apply.
#include "compiler/mlir_support.h"
#include "llvm/ADT/SetVector.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_UNSHAREMATMULINITS
#include "compiler/Passes.h.inc"
namespace {

struct UnshareMatmulInitsPass : impl::UnshareMatmulInitsBase<UnshareMatmulInitsPass> {
  void runOnOperation() override {
    llvm::SetVector<linalg::FillOp> shared;  // each once: erased below
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!gemm_form(op) || !op.hasPureTensorSemantics()) return;
      OpOperand& init = op.getDpsInitsMutable()[0];
      auto fill = init.get().getDefiningOp<linalg::FillOp>();
      if (!fill || fill->getBlock() != op->getBlock() ||
          (fill->hasOneUse() && fill->getNextNode() == op))
        return;
      OpBuilder b(op);
      Value empty = fill.getOutputs()[0];
      if (auto e = empty.getDefiningOp<tensor::EmptyOp>()) empty = b.clone(*e)->getResult(0);
      IRMapping mapping;
      mapping.map(fill.getOutputs()[0], empty);
      init.set(b.clone(*fill, mapping)->getResult(0));
      shared.insert(fill);
    });
    // Shared inits left without users would still be allocated and filled after bufferization.
    for (linalg::FillOp fill : shared) {
      if (!fill->use_empty()) continue;
      auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
      fill.erase();
      if (empty && empty->use_empty()) empty.erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_unshare_matmul_inits_pass() {
  return std::make_unique<UnshareMatmulInitsPass>();
}

}  // namespace tf::compiler
