// Pass: float32 GEMMs on buffers (linalg.matmul / batch_matmul and their transpose_a /
// transpose_b forms) -> a call to the eager GEMM kernel (backends/cpu/library_calls.cpp), as XLA
// does for GEMM; the transposed operand is a flag, not a copy. Runs after bufferization; other
// element types keep the generated loops.
#include "compiler/mlir_support.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_MATMULTOLIBRARYCALL
#include "compiler/Passes.h.inc"

std::optional<GemmForm> gemm_form(Operation* op) {
  return TypeSwitch<Operation*, std::optional<GemmForm>>(op)
      .Case([](linalg::MatmulOp) { return GemmForm{}; })
      .Case([](linalg::MatmulTransposeAOp) {
        return GemmForm{false, true, false};
      })
      .Case([](linalg::MatmulTransposeBOp) {
        return GemmForm{false, false, true};
      })
      .Case([](linalg::BatchMatmulOp) {
        return GemmForm{true, false, false};
      })
      .Case([](linalg::BatchMatmulTransposeAOp) {
        return GemmForm{true, true, false};
      })
      .Case([](linalg::BatchMatmulTransposeBOp) {
        return GemmForm{true, false, true};
      })
      .Default([](Operation*) { return std::nullopt; });
}

namespace {

// The zero fill that initialises `op`'s accumulator right before it, if any.
linalg::FillOp zero_fill_before(linalg::LinalgOp op) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (!fill || fill.getOutputs()[0] != op.getDpsInits()[0]) return {};
  auto value = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto zero = value ? dyn_cast<FloatAttr>(value.getValue()) : FloatAttr();
  return zero && zero.getValue().isPosZero() ? fill : linalg::FillOp();
}

struct MatmulToLibraryCallPass : impl::MatmulToLibraryCallBase<MatmulToLibraryCallPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    SmallVector<std::pair<linalg::LinalgOp, GemmForm>> gemms;
    module.walk([&](linalg::LinalgOp op) {
      auto form = gemm_form(op);
      if (!form) return;
      bool ok = op.hasPureBufferSemantics();
      for (Value v : op->getOperands()) {
        auto t = dyn_cast<MemRefType>(v.getType());
        ok = ok && t && t.getElementType().isF32() && t.getLayout().isIdentity();
      }
      if (ok) gemms.push_back({op, *form});
    });
    for (auto [op, form] : gemms) {
      // The library computes C = A * B: only a GEMM whose accumulator was just zeroed qualifies.
      auto fill = zero_fill_before(op);
      if (!fill) continue;
      fill.erase();
      SmallVector<int64_t> dyn_shape(form.batched ? 3 : 2, ShapedType::kDynamic);
      auto dyn = MemRefType::get(dyn_shape, b.getF32Type());
      // runtime/library_abi.h: (a, b, c, transpose_a, transpose_b).
      std::string callee = form.batched ? rt::abi::kSgemmBatched : rt::abi::kSgemm;
      if (!module.lookupSymbol<func::FuncOp>(callee)) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(module.getBody());
        auto decl = b.create<func::FuncOp>(
            module.getLoc(), callee,
            b.getFunctionType({dyn, dyn, dyn, b.getI64Type(), b.getI64Type()}, {}));
        decl.setPrivate();
        decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
      }
      b.setInsertionPoint(op);
      SmallVector<Value> args;
      for (Value v : op->getOperands())
        args.push_back(b.create<memref::CastOp>(op.getLoc(), dyn, v));
      for (bool flag : {form.transpose_a, form.transpose_b})
        args.push_back(b.create<arith::ConstantIntOp>(op.getLoc(), flag, 64));
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
