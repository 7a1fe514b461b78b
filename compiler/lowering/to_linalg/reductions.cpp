// Reductions (the reduction table) and arg_reduce as linalg.generic reductions.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

struct LowerReduce : OpRewritePattern<tfjit::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ReduceOp op, PatternRewriter& rw) const override {
    auto in = cast<RankedTensorType>(op.getX().getType());
    auto out = cast<RankedTensorType>(op.getType());
    Type elem = in.getElementType();
    const ReductionLowering* l = find_reduction_lowering(op.getFn().str());
    if (!l) return op.emitOpError("unknown reduction");
    ScalarBuilder combine = builder_for(*l, elem);
    if (!combine) return op.emitOpError() << "has no lowering for element type " << elem;
    Location loc = op.getLoc();
    ArrayRef<int64_t> axes = op.getAxes();
    SmallVector<bool> reduced(in.getRank(), false);
    for (int64_t a : axes) reduced[a] = true;
    SmallVector<AffineExpr> out_exprs;
    SmallVector<int64_t> out_shape;
    SmallVector<utils::IteratorType> iters;
    for (int64_t i = 0; i < in.getRank(); ++i) {
      iters.push_back(reduced[i] ? utils::IteratorType::reduction : utils::IteratorType::parallel);
      if (reduced[i]) continue;
      out_exprs.push_back(rw.getAffineDimExpr(i));
      out_shape.push_back(in.getDimSize(i));
    }
    auto flat = RankedTensorType::get(out_shape, elem);
    SmallVector<Value> sizes;  // of the kept dims that are dynamic
    SmallVector<OpFoldResult> kept_sizes;
    for (int64_t i = 0; i < in.getRank(); ++i) {
      if (reduced[i]) continue;
      if (!in.isDynamicDim(i)) {
        kept_sizes.push_back(rw.getIndexAttr(in.getDimSize(i)));
        continue;
      }
      sizes.push_back(rw.create<tensor::DimOp>(loc, op.getX(), i));
      kept_sizes.push_back(sizes.back());
    }
    Value init = rw.create<tensor::EmptyOp>(loc, flat.getShape(), elem, sizes);
    Value identity = rw.create<arith::ConstantOp>(loc, reduction_identity(rw, elem, l->identity));
    init = rw.create<linalg::FillOp>(loc, identity, init).getResult(0);
    SmallVector<AffineMap> maps = {rw.getMultiDimIdentityMap(in.getRank()),
                                   AffineMap::get(in.getRank(), 0, out_exprs, rw.getContext())};
    Value result =
        rw.create<linalg::GenericOp>(loc, TypeRange{flat}, op.getX(), init, maps, iters,
                                     [&](OpBuilder& b, Location l2, ValueRange args) {
                                       SmallVector<Value, 2> acc = {args[1], args[0]};
                                       b.create<linalg::YieldOp>(l2, combine(b, l2, acc));
                                     })
            .getResult(0);
    if (flat != out) {  // keepdims: re-insert the reduced axes as unit dims
      SmallVector<bool> unit(out.getRank(), false);
      SmallVector<OpFoldResult> out_sizes;
      for (int64_t a : axes) unit[a] = true;
      for (int64_t i = 0, k = 0; i < out.getRank(); ++i)
        out_sizes.push_back(unit[i] ? OpFoldResult(rw.getIndexAttr(1)) : kept_sizes[k++]);
      result = rw.create<tensor::ExpandShapeOp>(loc, out, result, unit_dim_groups(unit), out_sizes);
    }
    rw.replaceOp(op, result);
    return success();
  }
};

// argmax/argmin: a reduction with two accumulators (best value, its index). A candidate wins
// when it is strictly better or NaN (while the best is not), so the first extreme is kept.
struct LowerArgReduce : OpRewritePattern<tfjit::ArgReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ArgReduceOp op, PatternRewriter& rw) const override {
    auto in = cast<RankedTensorType>(op.getX().getType());
    auto out = cast<RankedTensorType>(op.getType());
    Type elem = in.getElementType();
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    bool is_max = op.getFn() == "argmax";
    auto values = RankedTensorType::get(out.getShape(), elem);
    // Start from element 0 of the axis (never empty: the verifier, or the shape rule at a call).
    SmallVector<OpFoldResult> offsets(in.getRank(), rw.getIndexAttr(0)), sizes,
        strides(in.getRank(), rw.getIndexAttr(1));
    SmallVector<Value> dynamic;  // out's dynamic sizes, in order
    for (int64_t d = 0; d < in.getRank(); ++d) {
      if (d != axis && in.isDynamicDim(d)) {
        dynamic.push_back(rw.create<tensor::DimOp>(loc, op.getX(), d));
        sizes.push_back(dynamic.back());
      } else {
        sizes.push_back(rw.getIndexAttr(d == axis ? 1 : in.getDimSize(d)));
      }
    }
    Value first =
        rw.create<tensor::ExtractSliceOp>(loc, values, op.getX(), offsets, sizes, strides);
    Value init_index =
        rw.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType(), dynamic);
    init_index = rw.create<linalg::FillOp>(
                       loc, ValueRange{rw.create<arith::ConstantOp>(loc, rw.getI64IntegerAttr(0))},
                       init_index)
                     .getResult(0);
    Value init_value = rw.create<tensor::EmptyOp>(loc, out.getShape(), elem, dynamic);
    init_value = rw.create<linalg::CopyOp>(loc, first, init_value).getResult(0);
    SmallVector<AffineExpr> out_exprs;
    SmallVector<utils::IteratorType> iters;
    for (int64_t d = 0; d < in.getRank(); ++d) {
      iters.push_back(d == axis ? utils::IteratorType::reduction : utils::IteratorType::parallel);
      if (d != axis) out_exprs.push_back(rw.getAffineDimExpr(d));
    }
    auto out_map = AffineMap::get(in.getRank(), 0, out_exprs, rw.getContext());
    SmallVector<AffineMap> maps = {rw.getMultiDimIdentityMap(in.getRank()), out_map, out_map};
    bool is_float = isa<FloatType>(elem), is_unsigned = elem.isUnsignedInteger();
    auto generic = rw.create<linalg::GenericOp>(
        loc, TypeRange{values, out}, ValueRange{op.getX()}, ValueRange{init_value, init_index},
        maps, iters, [&](OpBuilder& b, Location l, ValueRange a) {
          Value x = a[0], best = a[1], best_index = a[2];
          Value better;
          if (is_float) {
            better = b.create<arith::CmpFOp>(
                l, is_max ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, x, best);
            Value x_nan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, x, x);
            Value best_nan = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, best, best);
            Value not_best_nan = b.create<arith::XOrIOp>(
                l, best_nan, b.create<arith::ConstantOp>(l, b.getBoolAttr(true)));
            better =
                b.create<arith::AndIOp>(l, not_best_nan, b.create<arith::OrIOp>(l, better, x_nan));
          } else {
            auto pred = is_max
                            ? (is_unsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                            : (is_unsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
            better = b.create<arith::CmpIOp>(l, pred, x, best);
          }
          Value index =
              b.create<arith::IndexCastOp>(l, b.getI64Type(), b.create<linalg::IndexOp>(l, axis));
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::SelectOp>(l, better, x, best).getResult(),
                            b.create<arith::SelectOp>(l, better, index, best_index).getResult()});
        });
    rw.replaceOp(op, generic.getResult(1));
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerReduce, LowerArgReduce>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
