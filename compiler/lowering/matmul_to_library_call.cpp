// Pass: float32 linalg.matmul on buffers -> a call into oneDNN (tfjit_sgemm_acc, in
// compiler/library_calls.cpp), as XLA does for GEMM. Runs after bufferization; other element
// types keep the generated loops.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tf::compiler {
namespace {

constexpr const char* kSgemm = "tfjit_sgemm_acc";

struct MatmulToLibraryCallPass : PassWrapper<MatmulToLibraryCallPass, OperationPass<ModuleOp>> {
  StringRef getArgument() const override { return "tfjit-matmul-to-library-call"; }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    auto dyn = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, b.getF32Type());
    SmallVector<linalg::MatmulOp> matmuls;
    module.walk([&](linalg::MatmulOp op) {
      bool ok = op.hasPureBufferSemantics();
      for (Value v : op->getOperands()) {
        auto t = dyn_cast<MemRefType>(v.getType());
        ok = ok && t && t.getElementType().isF32() && t.getLayout().isIdentity();
      }
      if (ok) matmuls.push_back(op);
    });
    if (matmuls.empty()) return;
    if (!module.lookupSymbol<func::FuncOp>(kSgemm)) {
      b.setInsertionPointToStart(module.getBody());
      auto decl = b.create<func::FuncOp>(module.getLoc(), kSgemm, b.getFunctionType({dyn, dyn, dyn}, {}));
      decl.setPrivate();
      decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    }
    for (auto op : matmuls) {
      b.setInsertionPoint(op);
      SmallVector<Value> args;
      for (Value v : op->getOperands()) args.push_back(b.create<memref::CastOp>(op.getLoc(), dyn, v));
      b.create<func::CallOp>(op.getLoc(), kSgemm, TypeRange{}, args);
      op.erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_matmul_to_library_call_pass() {
  return std::make_unique<MatmulToLibraryCallPass>();
}

}  // namespace tf::compiler
