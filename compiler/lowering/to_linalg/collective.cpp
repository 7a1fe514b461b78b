// The collectives family. tfjit.all_reduce on the CPU: calls of the communicator the op's `group`
// names (backends/cpu/collective_calls.cpp), started where the op is and awaited where its result
// is first used; a failure (a dead rank, a mismatch) is raised when the compiled function
// returns. Host only (the HostOnly trait): graphs holding one are compiled for the CPU.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

// A library function's private declaration (C interface), once per module.
void declare(OpBuilder& b, Location loc, ModuleOp module, StringRef name, TypeRange inputs) {
  if (module.lookupSymbol<func::FuncOp>(name)) return;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto decl = b.create<func::FuncOp>(loc, name, b.getFunctionType(inputs, {}));
  decl.setPrivate();
  decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
}

// tfjit.all_reduce -> start(x, out, reduce_op, group) where the op is (the pass
// tfjit-schedule-collectives put it where x is ready), then wait(out) just before the first use
// of the result, so the ops between run while the ranks communicate. The start copies x, so x's
// buffer may be reused at once; the wait writes the result into `out`.
struct LowerAllReduce : OpRewritePattern<tfjit::AllReduceOp> {
  LowerAllReduce(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::AllReduceOp op, PatternRewriter& rw) const override {
    if (!options.host_library_calls)  // graphs with collectives never reach the GPU path
      return op.emitOpError() << "collectives run only in host code";
    Location loc = op.getLoc();
    Value x = op.getX();
    auto type = cast<RankedTensorType>(x.getType());
    auto dtype = tfjit::dtype_of(type.getElementType());
    if (!dtype) return op.emitOpError() << "cannot all-reduce " << type.getElementType();
    auto module = op->getParentOfType<ModuleOp>();
    auto memref_type = MemRefType::get(type.getShape(), type.getElementType());
    auto unranked = UnrankedMemRefType::get(type.getElementType(), 0);
    const std::string name(tf::dtype_name(*dtype));

    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d)) dynamic.push_back(rw.create<tensor::DimOp>(loc, x, d));
    Value in = rw.create<bufferization::ToMemrefOp>(loc, memref_type, x, /*read_only=*/true);
    Value out = rw.create<memref::AllocOp>(loc, memref_type, dynamic);
    Value out_unranked = rw.create<memref::CastOp>(loc, unranked, out);
    Value reduce_op = rw.create<arith::ConstantIntOp>(loc, op.getReduceOp(), 64);
    Value group = rw.create<arith::ConstantIntOp>(loc, op.getGroup(), 64);
    const std::string start = rt::abi::kAllReduceStartPrefix + name;
    declare(rw, loc, module, start, {unranked, unranked, rw.getI64Type(), rw.getI64Type()});
    rw.create<func::CallOp>(
        loc, start, TypeRange{},
        ValueRange{rw.create<memref::CastOp>(loc, unranked, in), out_unranked, reduce_op, group});

    // Users are converted after this op (the conversion walks the block in order), so the wait
    // goes before the first of them as it stands.
    Operation* first = nullptr;
    for (Operation* user : op->getUsers())
      if (Operation* at = op->getBlock()->findAncestorOpInBlock(*user))
        if (!first || at->isBeforeInBlock(first)) first = at;
    if (first) rw.setInsertionPoint(first);
    const std::string wait = rt::abi::kAllReduceWaitPrefix + name;
    declare(rw, loc, module, wait, {unranked});
    rw.create<func::CallOp>(loc, wait, TypeRange{}, ValueRange{out_unranked});
    rw.replaceOp(op, rw.create<bufferization::ToTensorOp>(loc, type, out, /*restrict=*/true,
                                                          /*writable=*/true));
    return success();
  }
  Options options;
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerAllReduce>(patterns.getContext(), options);
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
