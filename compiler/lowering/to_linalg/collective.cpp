// The collectives family. tfjit.all_reduce on the CPU is a call of the communicator the op's
// `group` names (backends/cpu/collective_calls.cpp), into a fresh buffer: the call blocks until
// every rank has contributed, and a failure (a dead rank, a mismatch) is raised when the
// compiled function returns. GPU programs have no collective step yet: the pass reports it.
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

struct LowerAllReduce : OpRewritePattern<tfjit::AllReduceOp> {
  LowerAllReduce(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::AllReduceOp op, PatternRewriter& rw) const override {
    if (!options.host_library_calls)
      return op.emitOpError() << "collectives in compiled GPU code are not supported: run the "
                                 "step eagerly or on the CPU";
    Location loc = op.getLoc();
    Value x = op.getX();
    auto type = cast<RankedTensorType>(x.getType());
    auto dtype = tfjit::dtype_of(type.getElementType());
    if (!dtype) return op.emitOpError() << "cannot all-reduce " << type.getElementType();
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d)) dynamic.push_back(rw.create<tensor::DimOp>(loc, x, d));
    Value reduce_op = rw.create<arith::ConstantIntOp>(loc, op.getReduceOp(), 64);
    Value group = rw.create<arith::ConstantIntOp>(loc, op.getGroup(), 64);
    rw.replaceOp(op, call_into_new_buffer(
                         rw, loc, op->getParentOfType<ModuleOp>(),
                         rt::abi::kAllReducePrefix + std::string(tf::dtype_name(*dtype)), {x},
                         type, dynamic, {reduce_op, group}));
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
