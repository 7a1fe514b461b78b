// tfjit.reduce_window: the input padded and dilated into a buffer filled with the combiner's
// identity (one insert_slice with strides), then one linalg.generic over (output dims, window
// dims) reading the buffer at o * stride + k, its window dims reductions, as linalg's pooling ops
// are built.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

struct LowerReduceWindow : OpRewritePattern<tfjit::ReduceWindowOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ReduceWindowOp op, PatternRewriter& rw) const override {
    const ReductionLowering* l = find_reduction_lowering(op.getFn());
    auto in_type = cast<RankedTensorType>(op.getX().getType());
    auto out_type = cast<RankedTensorType>(op.getType());
    Type elem = in_type.getElementType();
    ScalarBuilder combine = l ? builder_for(*l, elem) : nullptr;
    if (!combine) return op.emitOpError() << "has no lowering for element type " << elem;
    Location loc = op.getLoc();
    MLIRContext* ctx = rw.getContext();
    const int64_t rank = in_type.getRank();
    auto window = op.getWindow(), strides = op.getStrides(), dilations = op.getDilations(),
         low = op.getPaddingLow(), high = op.getPaddingHigh();
    Value identity = rw.create<arith::ConstantOp>(loc, reduction_identity(rw, elem, l->identity));

    // Unknown dims are never padded or dilated (the shape rule): their sizes pass through.
    SmallVector<Value> in_dynamic, out_dynamic;
    SmallVector<OpFoldResult> in_sizes;
    SmallVector<int64_t> padded_shape;
    bool trivial = true;
    for (int64_t d = 0; d < rank; ++d) {
      trivial &= low[d] == 0 && high[d] == 0 && dilations[d] == 1;
      if (in_type.isDynamicDim(d)) {
        Value size = rw.create<tensor::DimOp>(loc, op.getX(), d);
        in_dynamic.push_back(size);
        in_sizes.push_back(size);
        padded_shape.push_back(ShapedType::kDynamic);
        continue;
      }
      const int64_t n = in_type.getDimSize(d);
      in_sizes.push_back(rw.getIndexAttr(n));
      padded_shape.push_back((n == 0 ? 0 : (n - 1) * dilations[d] + 1) + low[d] + high[d]);
    }
    for (int64_t d = 0; d < rank; ++d)
      if (out_type.isDynamicDim(d))
        out_dynamic.push_back(rw.create<tensor::DimOp>(loc, op.getX(), d));

    Value x = op.getX();
    if (!trivial) {
      Value buffer =
          rw.create<linalg::FillOp>(
                loc, identity,
                rw.create<tensor::EmptyOp>(loc, padded_shape, elem, in_dynamic).getResult())
              .getResult(0);
      SmallVector<OpFoldResult> offsets, steps;
      for (int64_t d = 0; d < rank; ++d) {
        offsets.push_back(rw.getIndexAttr(low[d]));
        steps.push_back(rw.getIndexAttr(dilations[d]));
      }
      x = rw.create<tensor::InsertSliceOp>(loc, x, buffer, offsets, in_sizes, steps);
    }
    Value init =
        rw.create<linalg::FillOp>(
              loc, identity,
              rw.create<tensor::EmptyOp>(loc, out_type.getShape(), elem, out_dynamic).getResult())
            .getResult(0);
    // The window operand only lends the window dims their sizes.
    Value shape_of_window = rw.create<tensor::EmptyOp>(loc, window, elem);
    SmallVector<AffineExpr> reads, window_dims;
    for (int64_t d = 0; d < rank; ++d) {
      reads.push_back(getAffineDimExpr(d, ctx) * strides[d] + getAffineDimExpr(rank + d, ctx));
      window_dims.push_back(getAffineDimExpr(rank + d, ctx));
    }
    SmallVector<AffineMap> maps = {
        AffineMap::get(2 * rank, 0, reads, ctx), AffineMap::get(2 * rank, 0, window_dims, ctx),
        AffineMap::getMultiDimIdentityMap(2 * rank, ctx).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters.append(rank, utils::IteratorType::reduction);
    auto generic = rw.create<linalg::GenericOp>(
        loc, TypeRange{out_type}, ValueRange{x, shape_of_window}, init, maps, iters,
        [&](OpBuilder& b, Location l2, ValueRange args) {
          b.create<linalg::YieldOp>(l2, combine(b, l2, ValueRange{args[2], args[0]}));
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const Options&) {
  patterns.add<LowerReduceWindow>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
