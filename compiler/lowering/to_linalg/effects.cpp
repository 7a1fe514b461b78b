// The tfjit-to-linalg pass's effectful ops (print, fail_if), which become calls into
// backends/cpu/library_calls.cpp (on the GPU, steps of the launch plan). Texts are constant globals
// of the module (NUL-terminated bytes), so the machine code is self-contained and can be cached
// on disk, and the GPU plan can read a message from the global's bytes.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler {

namespace {

MemRefType text_type(OpBuilder& b) {
  return MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
}

// `piece` as a constant global of the module, passed as memref<?xi8>.
Value text(PatternRewriter& rw, Location loc, ModuleOp module, StringRef piece) {
  SmallVector<int8_t> bytes(piece.begin(), piece.end());
  bytes.push_back(0);
  auto type = MemRefType::get({static_cast<int64_t>(bytes.size())}, rw.getI8Type());
  auto init = DenseElementsAttr::get(RankedTensorType::get(type.getShape(), rw.getI8Type()),
                                     ArrayRef<int8_t>(bytes));
  std::string name;
  for (int n = 0; name.empty() || module.lookupSymbol(name); ++n)
    name = "tfjit_text_" + std::to_string(n);
  {
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(module.getBody());
    rw.create<memref::GlobalOp>(loc, name, rw.getStringAttr("private"), type, init,
                                /*constant=*/true, /*alignment=*/IntegerAttr());
  }
  Value global = rw.create<memref::GetGlobalOp>(loc, type, name);
  return rw.create<memref::CastOp>(loc, text_type(rw), global);
}

// A private declaration of library function `name` (C interface), once per module. Tensor
// operands are only read: without that, bufferization assumes an external function writes its
// operands and would need a copy (impossible for an unranked cast).
void declare(PatternRewriter& rw, Location loc, ModuleOp module, StringRef name,
             SmallVector<Type> inputs) {
  if (module.lookupSymbol<func::FuncOp>(name)) return;
  OpBuilder::InsertionGuard guard(rw);
  rw.setInsertionPointToStart(module.getBody());
  auto decl = rw.create<func::FuncOp>(loc, name, rw.getFunctionType(inputs, {}));
  decl.setPrivate();
  decl->setAttr("llvm.emit_c_interface", rw.getUnitAttr());
  for (auto [i, type] : llvm::enumerate(inputs))
    if (isa<mlir::TensorType>(type))
      decl.setArgAttr(static_cast<unsigned>(i), "bufferization.access", rw.getStringAttr("read"));
}

// tfjit.print -> one call per input (tfjit_print_<dtype>(value, text before it)) and
// tfjit_print_end(text after the last). Inputs go as unranked tensors, so one declaration per
// dtype serves every shape.
struct LowerPrint : OpRewritePattern<tfjit::PrintOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::PrintOp op, PatternRewriter& rw) const override {
    auto pieces = tfjit::split_print_format(op.getFormat());
    if (!pieces) return rw.notifyMatchFailure(op, "malformed format");
    auto module = op->getParentOfType<ModuleOp>();
    Location loc = op.getLoc();
    for (auto [i, v] : llvm::enumerate(op.getInputs())) {
      auto type = cast<RankedTensorType>(v.getType());
      auto dtype = tfjit::dtype_of(type.getElementType());
      if (!dtype) return op.emitOpError() << "cannot print element type " << type;
      std::string callee = rt::abi::kPrintPrefix + std::string(tf::dtype_name(*dtype));
      auto unranked = UnrankedTensorType::get(type.getElementType());
      declare(rw, loc, module, callee, {unranked, text_type(rw)});
      Value u = rw.create<tensor::CastOp>(loc, unranked, v);
      Value t = text(rw, loc, module, (*pieces)[i]);
      rw.create<func::CallOp>(loc, callee, TypeRange{}, ValueRange{u, t});
    }
    declare(rw, loc, module, rt::abi::kPrintEnd, {text_type(rw)});
    Value t = text(rw, loc, module, pieces->back());
    rw.create<func::CallOp>(loc, rt::abi::kPrintEnd, TypeRange{}, ValueRange{t});
    rw.eraseOp(op);
    return success();
  }
};

// tfjit.fail_if -> tfjit_fail_if(flag, message): the library records the failure, raised when
// the call returns (Executable::run; on the GPU, the program reads the flag after its steps).
struct LowerFailIf : OpRewritePattern<tfjit::FailIfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::FailIfOp op, PatternRewriter& rw) const override {
    auto module = op->getParentOfType<ModuleOp>();
    Location loc = op.getLoc();
    Type flag = op.getFailed().getType();
    declare(rw, loc, module, rt::abi::kFailIf, {flag, text_type(rw)});
    Value message = text(rw, loc, module, op.getMessage());
    rw.create<func::CallOp>(loc, rt::abi::kFailIf, TypeRange{},
                            ValueRange{op.getFailed(), message});
    rw.eraseOp(op);
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const to_linalg::Options&) {
  patterns.add<LowerPrint, LowerFailIf>(patterns.getContext());
}
const bool registered = to_linalg::register_patterns(to_linalg::Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler
