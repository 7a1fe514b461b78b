// Pass: float32 linalg.matmul on buffers -> a call into oneDNN (tfjit_sgemm[_acc], in
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

constexpr const char* kSgemm = "tfjit_sgemm";         // C = A * B
constexpr const char* kSgemmAcc = "tfjit_sgemm_acc";  // C += A * B

// The linalg.fill of zero that initialises `out` right before `matmul`, if any: then the call
// can overwrite C instead of accumulating into it, and the fill goes away.
linalg::FillOp zero_fill_before(linalg::MatmulOp matmul) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(matmul->getPrevNode());
  if (!fill || fill.getOutputs()[0] != matmul.getOutputs()[0]) return {};
  auto value = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto zero = value ? dyn_cast<FloatAttr>(value.getValue()) : FloatAttr();
  return zero && zero.getValue().isPosZero() ? fill : linalg::FillOp();
}

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
    auto declare = [&](const char* name) {
      if (module.lookupSymbol<func::FuncOp>(name)) return;
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      auto decl =
          b.create<func::FuncOp>(module.getLoc(), name, b.getFunctionType({dyn, dyn, dyn}, {}));
      decl.setPrivate();
      decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    };
    for (auto op : matmuls) {
      const char* callee = kSgemmAcc;
      if (auto fill = zero_fill_before(op)) {
        fill.erase();
        callee = kSgemm;
      }
      declare(callee);
      b.setInsertionPoint(op);
      SmallVector<Value> args;
      for (Value v : op->getOperands())
        args.push_back(b.create<memref::CastOp>(op.getLoc(), dyn, v));
      b.create<func::CallOp>(op.getLoc(), callee, TypeRange{}, args);
      op.erase();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> create_matmul_to_library_call_pass() {
  return std::make_unique<MatmulToLibraryCallPass>();
}

}  // namespace tf::compiler
