// tfjit.scatter. On the CPU (Options::host_library_calls) a call of the eager kernel
// (tfjit_scatter_<dtype>: the operand copied into a fresh buffer, then one pass over the update
// rows, so linear); on the GPU (Options::device_scatter_calls) the same call, which the launch
// plan runs as the GPU's eager kernel (linear too, combining by atomics). Otherwise one
// linalg.generic over (x's dims | the indices' batch dims), the batch dims a reduction: each
// element of x combines, in row order, the update rows whose index tuple equals its leading
// coordinates (read with tensor.extract): O(elements x rows), but neither atomics nor a loop on
// the host. Rows with an index outside x match no element, so they are skipped, as XLA's
// scatter skips them.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "ops/op_info.h"
#include "runtime/library_abi.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

struct LowerScatter : OpRewritePattern<tfjit::ScatterOp> {
  LowerScatter(MLIRContext* ctx, const Options& o) : OpRewritePattern(ctx), options(o) {}
  LogicalResult matchAndRewrite(tfjit::ScatterOp op, PatternRewriter& rw) const override {
    Location loc = op.getLoc();
    Value x = op.getX(), indices = op.getIndices(), updates = op.getUpdates();
    auto type = cast<RankedTensorType>(op.getType());
    auto index_type = cast<RankedTensorType>(indices.getType());
    Type elem = type.getElementType();
    const std::string combiner = op.getCombiner().str();
    std::optional<ops::ReduceOp> reduce;
    if (combiner != "update") {
      reduce = ops::find_reduce_op(combiner);
      if (!reduce) return op.emitOpError() << "unknown combiner '" << combiner << "'";
    }
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d)) dynamic.push_back(rw.create<tensor::DimOp>(loc, x, d));
    if (options.host_library_calls || options.device_scatter_calls) {
      auto dtype = tfjit::dtype_of(elem);
      if (!dtype) return op.emitOpError() << "cannot scatter " << elem;
      Value combiner_v =
          rw.create<arith::ConstantIntOp>(loc, reduce ? static_cast<int64_t>(*reduce) : -1, 64);
      Value bits_v = rw.create<arith::ConstantIntOp>(
          loc, static_cast<int64_t>(index_type.getElementType().getIntOrFloatBitWidth()), 64);
      rw.replaceOp(
          op, call_into_new_buffer(rw, loc, op->getParentOfType<ModuleOp>(),
                                   rt::abi::kScatterPrefix + std::string(tf::dtype_name(*dtype)),
                                   {x, indices, updates}, type, dynamic, {combiner_v, bits_v}));
      return success();
    }
    ScalarBuilder combine = nullptr;
    if (reduce) {
      const ReductionLowering* l = find_reduction_lowering(combiner);
      combine = l ? builder_for(*l, elem) : nullptr;
      if (!combine) return op.emitOpError() << "has no lowering for element type " << elem;
    }
    MLIRContext* ctx = rw.getContext();
    const int64_t rank = type.getRank(), batch = index_type.getRank() - 1;
    const int64_t depth = index_type.getDimSize(batch);
    // Loops: x's dims (parallel), then the indices' batch dims (a reduction over the rows).
    SmallVector<AffineExpr> update_exprs;
    for (int64_t j = 0; j < batch; ++j) update_exprs.push_back(getAffineDimExpr(rank + j, ctx));
    for (int64_t d = depth; d < rank; ++d) update_exprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank + batch, 0, update_exprs, ctx),
                                   AffineMap::getMultiDimIdentityMap(rank + batch, ctx)
                                       .getMajorSubMap(static_cast<unsigned>(rank))};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.append(batch, utils::IteratorType::reduction);
    // The accumulator starts as x (bufferization copies it into the result's buffer).
    Value out =
        rw.create<linalg::GenericOp>(
              loc, TypeRange{type}, ValueRange{updates}, ValueRange{x}, maps, iters,
              [&](OpBuilder& b, Location l, ValueRange args) {
                Value match = b.create<arith::ConstantIntOp>(l, 1, 1);
                SmallVector<Value> at;
                for (int64_t j = 0; j < batch; ++j)
                  at.push_back(b.create<linalg::IndexOp>(l, rank + j));
                at.push_back(Value());
                for (int64_t k = 0; k < depth; ++k) {
                  at.back() = b.create<arith::ConstantIndexOp>(l, k);
                  Value i = b.create<arith::IndexCastOp>(
                      l, b.getIndexType(), b.create<tensor::ExtractOp>(l, indices, at));
                  Value p = b.create<linalg::IndexOp>(l, k);
                  match = b.create<arith::AndIOp>(
                      l, match, b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, i, p));
                }
                Value next = combine ? combine(b, l, ValueRange{args[1], args[0]}) : args[0];
                b.create<linalg::YieldOp>(
                    l, ValueRange{b.create<arith::SelectOp>(l, match, next, args[1])});
              })
            .getResult(0);
    rw.replaceOp(op, out);
    return success();
  }
  Options options;
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerScatter>(patterns.getContext(), options);
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
