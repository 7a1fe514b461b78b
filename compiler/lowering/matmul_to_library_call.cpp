// Pass: float32 linalg.matmul / batch_matmul on buffers -> a call to the eager GEMM kernel (in
// compiler/library_calls.cpp), as XLA does for GEMM. Runs after bufferization; other element
// types keep the generated loops.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tf::compiler {
namespace {

// The zero fill that initialises `op`'s accumulator right before it, if any.
linalg::FillOp zero_fill_before(linalg::LinalgOp op) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || fill.getOutputs()[0] != op.getDpsInits()[0]) return {};
  auto value = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto zero = value ? dyn_cast<FloatAttr>(value.getValue()) : FloatAttr();
  return zero && zero.getValue().isPosZero() ? fill : linalg::FillOp();
}

struct MatmulToLibraryCallPass : PassWrapper<MatmulToLibraryCallPass, OperationPass<ModuleOp>> {
  StringRef getArgument() const override { return "tfjit-matmul-to-library-call"; }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    SmallVector<linalg::LinalgOp> gemms;
    module.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op.getOperation())) return;
      bool ok = op.hasPureBufferSemantics();
      for (Value v : op->getOperands()) {
        auto t = dyn_cast<MemRefType>(v.getType());
        ok = ok && t && t.getElementType().isF32() && t.getLayout().isIdentity();
      }
      if (ok) gemms.push_back(op);
    });
    for (auto op : gemms) {
      // The library computes C = A * B: only a GEMM whose accumulator was just zeroed qualifies.
      auto fill = zero_fill_before(op);
      if (!fill) continue;
      fill.erase();
      bool batched = isa<linalg::BatchMatmulOp>(op.getOperation());
      SmallVector<int64_t> dyn_shape(batched ? 3 : 2, ShapedType::kDynamic);
      auto dyn = MemRefType::get(dyn_shape, b.getF32Type());
      std::string callee =
          batched ? "tfjit_sgemm_batched" : "tfjit_sgemm";  // compiler/library_calls.cpp
      if (!module.lookupSymbol<func::FuncOp>(callee)) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(module.getBody());
        auto decl =
            b.create<func::FuncOp>(module.getLoc(), callee, b.getFunctionType({dyn, dyn, dyn}, {}));
        decl.setPrivate();
        decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
      }
      b.setInsertionPoint(op);
      SmallVector<Value> args;
      for (Value v : op->getOperands())
        args.push_back(b.create<memref::CastOp>(op.getLoc(), dyn, v));
      b.create<func::CallOp>(op.getLoc(), callee, TypeRange{}, args);
      op->erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_matmul_to_library_call_pass() {
  return std::make_unique<MatmulToLibraryCallPass>();
}

}  // namespace tf::compiler
