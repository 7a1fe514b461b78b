// Structural ops: reshape, transpose, slice, gather, concat and constants as tensor and
// linalg ops. Dynamic dims pass through each (their sizes read with tensor.dim).
#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/to_linalg/to_linalg.h"
#include "core/shape_rules.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace tf::compiler::to_linalg {

namespace {

// reshape with dynamic dims (at most one in the result: the frontend infers a single -1):
// collapse to 1-D, cast that to the result's element count when it is static, expand with the
// dynamic dim's size computed as the element count over the static dims.
template <class OneGroup>
Value reshape_dynamic(OpBuilder& b, Location loc, Value x, RankedTensorType out,
                      OneGroup one_group) {
  auto in = cast<RankedTensorType>(x.getType());
  Type elem = in.getElementType();
  auto dyn_flat = RankedTensorType::get({ShapedType::kDynamic}, elem);
  if (in.getRank() != 1)
    x = b.create<tensor::CollapseShapeOp>(loc, dyn_flat, x, one_group(in.getRank()));
  if (out.hasStaticShape()) {
    x = b.create<tensor::CastOp>(loc, RankedTensorType::get({out.getNumElements()}, elem), x);
    if (out.getRank() == 0)
      return b.create<tensor::CollapseShapeOp>(loc, out, x, SmallVector<ReassociationIndices>{});
    if (out.getRank() == 1) return x;
    return b.create<tensor::ExpandShapeOp>(loc, out, x, one_group(out.getRank()));
  }
  if (x.getType() != dyn_flat) x = b.create<tensor::CastOp>(loc, dyn_flat, x);
  if (out.getRank() == 1) return x;
  int64_t known = 1;
  for (int64_t d : out.getShape())
    if (!ShapedType::isDynamic(d)) known *= d;
  Value count = b.create<tensor::DimOp>(loc, x, 0);
  Value size = b.create<arith::DivUIOp>(loc, count, b.create<arith::ConstantIndexOp>(loc, known));
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : out.getShape())
    sizes.push_back(ShapedType::isDynamic(d) ? OpFoldResult(size)
                                             : OpFoldResult(b.getIndexAttr(d)));
  return b.create<tensor::ExpandShapeOp>(loc, out, x, one_group(out.getRank()), sizes);
}

// reshape whose dims come from like operands (tfjit.reshape's like_dims): collapse to 1-D, then
// expand with each dynamic size read from its like operand, or (one at most) inferred as the
// element count over the others.
template <class OneGroup>
Value reshape_like(OpBuilder& b, Location loc, tfjit::ReshapeOp op, ArrayRef<int64_t> like_dims,
                   OneGroup one_group) {
  auto in = cast<RankedTensorType>(op.getX().getType());
  auto out = cast<RankedTensorType>(op.getType());
  Type elem = in.getElementType();
  auto dyn_flat = RankedTensorType::get({ShapedType::kDynamic}, elem);
  Value x = op.getX();
  if (in.getRank() == 0)
    x = b.create<tensor::ExpandShapeOp>(loc, RankedTensorType::get({1}, elem), x,
                                        SmallVector<ReassociationIndices>{});
  else if (in.getRank() != 1)
    x = b.create<tensor::CollapseShapeOp>(loc, x, one_group(in.getRank()));
  if (x.getType() != dyn_flat) x = b.create<tensor::CastOp>(loc, dyn_flat, x);
  SmallVector<OpFoldResult> sizes;
  Value known = b.create<arith::ConstantIndexOp>(loc, 1);
  int64_t inferred = -1;
  for (int64_t i = 0; i < out.getRank(); ++i) {
    const int64_t k = like_dims[2 * i], j = like_dims[2 * i + 1];
    if (k < 0 && !out.isDynamicDim(i)) {
      sizes.push_back(b.getIndexAttr(out.getDimSize(i)));
      known = b.create<arith::MulIOp>(loc, known,
                                      b.create<arith::ConstantIndexOp>(loc, out.getDimSize(i)));
    } else if (k < 0) {
      inferred = i;
      sizes.push_back(OpFoldResult());
    } else {
      Value size = b.create<tensor::DimOp>(loc, op.getLike()[k], j);
      sizes.push_back(size);
      known = b.create<arith::MulIOp>(loc, known, size);
    }
  }
  if (inferred >= 0)  // the shape program checked the count divides
    sizes[inferred] =
        b.create<arith::DivUIOp>(loc, b.create<tensor::DimOp>(loc, x, 0), known).getResult();
  if (out.getRank() == 1) return b.create<tensor::CastOp>(loc, out, x);
  if (out.getNumDynamicDims() == 1)
    return b.create<tensor::ExpandShapeOp>(loc, out, x, one_group(out.getRank()), sizes);
  // Several dynamic dims in one group: LLVM 19's bufferization of expand_shape re-infers the
  // sizes (and crashes), so tensor.reshape with the sizes as a shape operand.
  SmallVector<Value> shape;
  for (OpFoldResult size : sizes) shape.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
  Value operand = b.create<tensor::FromElementsOp>(loc, shape);
  return b.create<tensor::ReshapeOp>(loc, out, x, operand);
}

// reshape: collapse to 1-D, then expand to the target (row-major order is unchanged). Rank-0
// sides collapse or expand directly (all their dims are 1).
struct LowerReshape : OpRewritePattern<tfjit::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ReshapeOp op, PatternRewriter& rw) const override {
    auto in = cast<RankedTensorType>(op.getX().getType());
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    auto one_group = [](int64_t rank) {
      ReassociationIndices group;
      for (int64_t i = 0; i < rank; ++i) group.push_back(i);
      return SmallVector<ReassociationIndices>{group};
    };
    Value x = op.getX();
    if (auto like_dims = op.getLikeDims(); like_dims && !out.hasStaticShape()) {
      rw.replaceOp(op, reshape_like(rw, loc, op, *like_dims, one_group));
      return success();
    }
    if (!out.hasStaticShape() && in.getRank() > 0) {
      // Only 1s added or removed: collapse in's static 1s away, then expand out's in, so each
      // group holds one kept dim and any number of dynamic dims can pass through.
      if (core::unit_dim_reshape(tfjit::shape_of(in), tfjit::shape_of(out))) {
        auto dropped = [](RankedTensorType t) {
          SmallVector<bool> ones;
          for (int64_t d : t.getShape()) ones.push_back(d == 1);
          return ones;
        };
        SmallVector<int64_t> kept;
        for (int64_t d : in.getShape())
          if (d != 1) kept.push_back(d);
        auto core_type = RankedTensorType::get(kept, in.getElementType());
        if (core_type != in)
          x = rw.create<tensor::CollapseShapeOp>(loc, core_type, x, unit_dim_groups(dropped(in)));
        if (core_type != out)
          x = rw.create<tensor::ExpandShapeOp>(loc, out, x, unit_dim_groups(dropped(out)));
        rw.replaceOp(op, x);
        return success();
      }
    }
    if (!in.hasStaticShape() || !out.hasStaticShape()) {
      rw.replaceOp(op, reshape_dynamic(rw, loc, x, out, one_group));
      return success();
    }
    if (in.getRank() == 0) {
      x = rw.create<tensor::ExpandShapeOp>(loc, out, x, SmallVector<ReassociationIndices>{});
    } else if (out.getRank() == 0) {
      x = rw.create<tensor::CollapseShapeOp>(loc, out, x, SmallVector<ReassociationIndices>{});
    } else {
      if (in.getRank() != 1) {
        auto flat = RankedTensorType::get({in.getNumElements()}, in.getElementType());
        x = rw.create<tensor::CollapseShapeOp>(loc, flat, x, one_group(in.getRank()));
      }
      if (out.getRank() != 1)
        x = rw.create<tensor::ExpandShapeOp>(loc, out, x, one_group(out.getRank()));
    }
    rw.replaceOp(op, x);
    return success();
  }
};

struct LowerTranspose : OpRewritePattern<tfjit::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::TransposeOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> perm = op.getPerm();
    // Output dim i reads input dim perm[i], so input dim perm[i] is indexed by loop i.
    SmallVector<AffineExpr> exprs(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) exprs[perm[i]] = rw.getAffineDimExpr(i);
    auto map = AffineMap::get(out.getRank(), 0, exprs, rw.getContext());
    return replace_with(rw, op,
                        generic(rw, op.getLoc(), op.getX(), map, out,
                                [](OpBuilder&, Location, ValueRange a) { return a[0]; }));
  }
};

// slice: tensor.extract_slice over the elements read (ascending), then a reversing generic op for
// the dimensions with negative strides. A whole dimension reversed (size -1, stride -1) may be
// dynamic, which an affine map cannot subtract from: those read with tensor.extract.
struct LowerSlice : OpRewritePattern<tfjit::SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::SliceOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> offsets, sizes, strides;
    SmallVector<AffineExpr> exprs;
    SmallVector<Value> whole_reversed(out.getRank());  // the dim's size, where so reversed
    bool reversed = false;
    auto dim_size = [&](int64_t d) -> Value {
      return rw.create<tensor::DimOp>(loc, op.getX(), d).getResult();
    };
    for (int64_t d = 0; d < out.getRank(); ++d) {
      int64_t start = op.getStart()[d], size = op.getSize()[d], stride = op.getStride()[d];
      if (size == -1 && stride == -1) {
        const int64_t n = cast<RankedTensorType>(op.getX().getType()).getDimSize(d);
        whole_reversed[d] = ShapedType::isDynamic(n)
                                ? dim_size(d)
                                : rw.create<arith::ConstantIndexOp>(loc, n).getResult();
        offsets.push_back(rw.getIndexAttr(0));
        sizes.push_back(ShapedType::isDynamic(n) ? OpFoldResult(whole_reversed[d])
                                                 : OpFoldResult(rw.getIndexAttr(n)));
        strides.push_back(rw.getIndexAttr(1));
        exprs.push_back(rw.getAffineDimExpr(d));
        reversed = true;
        continue;
      }
      int64_t first = stride > 0 || size == 0 ? start : start + stride * (size - 1);
      offsets.push_back(rw.getIndexAttr(first));
      if (size == -1) {  // the rest of the dimension, every stride-th element (stride > 0)
        OpFoldResult rest = rw.getIndexAttr(out.getDimSize(d));
        if (out.isDynamicDim(d)) {
          Value span = rw.create<arith::SubIOp>(loc, dim_size(d),
                                                rw.create<arith::ConstantIndexOp>(loc, start));
          rest = stride == 1 ? span
                             : rw.create<arith::CeilDivUIOp>(
                                     loc, span, rw.create<arith::ConstantIndexOp>(loc, stride))
                                   .getResult();
        }
        sizes.push_back(rest);
        strides.push_back(rw.getIndexAttr(stride));
        exprs.push_back(rw.getAffineDimExpr(d));
        continue;
      }
      sizes.push_back(rw.getIndexAttr(size));
      strides.push_back(rw.getIndexAttr(std::abs(stride)));
      exprs.push_back(stride > 0 ? rw.getAffineDimExpr(d)
                                 : rw.getAffineConstantExpr(size - 1) - rw.getAffineDimExpr(d));
      reversed = reversed || stride < 0;
    }
    Value x = rw.create<tensor::ExtractSliceOp>(loc, out, op.getX(), offsets, sizes, strides);
    if (!reversed) {
      rw.replaceOp(op, x);
      return success();
    }
    auto map = AffineMap::get(out.getRank(), 0, exprs, rw.getContext());
    if (std::none_of(whole_reversed.begin(), whole_reversed.end(), [](Value v) { return !!v; }))
      return replace_with(
          rw, op,
          generic(rw, loc, x, map, out, [](OpBuilder&, Location, ValueRange a) { return a[0]; }));
    // Element i of a wholly reversed dim of size n reads n - 1 - i; the others read as `map`.
    return replace_with(rw, op,
                        generic(
                            rw, loc, ValueRange{}, {}, out,
                            [&](OpBuilder& b, Location l, ValueRange) {
                              SmallVector<Value> loops, coords;
                              for (int64_t d = 0; d < out.getRank(); ++d)
                                loops.push_back(b.create<linalg::IndexOp>(l, d));
                              for (int64_t d = 0; d < out.getRank(); ++d) {
                                if (whole_reversed[d]) {
                                  Value last = b.create<arith::SubIOp>(
                                      l, whole_reversed[d], b.create<arith::ConstantIndexOp>(l, 1));
                                  coords.push_back(b.create<arith::SubIOp>(l, last, loops[d]));
                                } else {
                                  coords.push_back(b.create<affine::AffineApplyOp>(
                                      l, AffineMap::get(out.getRank(), 0, exprs[d]), loops));
                                }
                              }
                              return b.create<tensor::ExtractOp>(l, x, coords).getResult();
                            },
                            x, rw.getMultiDimIdentityMap(out.getRank())));
  }
};

// gather: a generic op over the result reading each index from `indices` and the element from
// params with tensor.extract. Indices are clamped into range so the read stays in bounds; an
// index out of range is reported by the graph's tfjit.fail_if, raised after the call.
struct LowerGather : OpRewritePattern<tfjit::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::GatherOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    auto params = cast<RankedTensorType>(op.getParams().getType());
    auto indices = cast<RankedTensorType>(op.getIndices().getType());
    int64_t axis = op.getAxis(), ni = indices.getRank();
    // The indices operand is indexed by the result dims that come from it.
    SmallVector<AffineExpr> index_exprs;
    for (int64_t d = 0; d < ni; ++d) index_exprs.push_back(rw.getAffineDimExpr(axis + d));
    auto map = AffineMap::get(out.getRank(), 0, index_exprs, rw.getContext());
    // params lends the sizes of the result dims it gives (all but the indices' dims).
    SmallVector<AffineExpr> param_exprs;
    for (int64_t d = 0; d < params.getRank(); ++d)
      param_exprs.push_back(d == axis  ? rw.getAffineConstantExpr(0)
                            : d < axis ? rw.getAffineDimExpr(d)
                                       : rw.getAffineDimExpr(d + ni - 1));
    auto param_map = AffineMap::get(out.getRank(), 0, param_exprs, rw.getContext());
    Value table = op.getParams();
    Location loc = op.getLoc();
    Value last =
        params.isDynamicDim(axis)
            ? rw.create<arith::SubIOp>(loc, rw.create<tensor::DimOp>(loc, table, axis),
                                       rw.create<arith::ConstantIndexOp>(loc, 1))
                  .getResult()
            : rw.create<arith::ConstantIndexOp>(loc, params.getDimSize(axis) - 1).getResult();
    return replace_with(
        rw, op,
        generic(
            rw, loc, op.getIndices(), map, out,
            [&](OpBuilder& b, Location loc, ValueRange a) {
              Value i = b.create<arith::IndexCastOp>(loc, b.getIndexType(), a[0]);
              Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
              i = b.create<arith::MaxSIOp>(loc, b.create<arith::MinSIOp>(loc, i, last), zero);
              SmallVector<Value> coords;
              for (int64_t d = 0; d < params.getRank(); ++d) {
                if (d == axis)
                  coords.push_back(i);
                else
                  coords.push_back(b.create<linalg::IndexOp>(loc, d < axis ? d : d + ni - 1));
              }
              return b.create<tensor::ExtractOp>(loc, table, coords).getResult();
            },
            table, param_map));
  }
};

// Dim d of v: its static size, or read with tensor.dim.
OpFoldResult dim_of(OpBuilder& b, Location loc, Value v, int64_t d) {
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.isDynamicDim(d)) return b.getIndexAttr(t.getDimSize(d));
  return b.create<tensor::DimOp>(loc, v, d).getResult();
}

// x + y, folded when both are constants (and when x is 0).
OpFoldResult add_sizes(OpBuilder& b, Location loc, OpFoldResult x, OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy) return b.getIndexAttr(*cx + *cy);
  if (cx == 0) return y;
  return b
      .create<arith::AddIOp>(loc, getValueOrCreateConstantIndexOp(b, loc, x),
                             getValueOrCreateConstantIndexOp(b, loc, y))
      .getResult();
}

struct LowerConcat : OpRewritePattern<tfjit::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ConcatOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    // Dynamic sizes come from the first operand with the dim (along the axis: their sum).
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < out.getRank(); ++d) {
      if (!out.isDynamicDim(d)) continue;
      OpFoldResult size = dim_of(rw, loc, op.getValues()[0], d);
      if (d == axis)
        for (Value v : op.getValues().drop_front())
          size = add_sizes(rw, loc, size, dim_of(rw, loc, v, d));
      dynamic.push_back(getValueOrCreateConstantIndexOp(rw, loc, size));
    }
    Value result = rw.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType(), dynamic);
    OpFoldResult offset = rw.getIndexAttr(0);
    for (auto [k, v] : llvm::enumerate(op.getValues())) {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<OpFoldResult> offsets(out.getRank(), rw.getIndexAttr(0)), sizes,
          strides(out.getRank(), rw.getIndexAttr(1));
      for (int64_t d = 0; d < t.getRank(); ++d) sizes.push_back(dim_of(rw, loc, v, d));
      offsets[axis] = offset;
      result = rw.create<tensor::InsertSliceOp>(loc, v, result, offsets, sizes, strides);
      if (k + 1 < op.getValues().size())
        offset = add_sizes(rw, loc, offset, dim_of(rw, loc, v, axis));
    }
    rw.replaceOp(op, result);
    return success();
  }
};

// Piece `index` of x along the axis: its offset is the sum of the earlier parts' sizes there.
struct LowerUnconcat : OpRewritePattern<tfjit::UnconcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::UnconcatOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    const int64_t axis = op.getAxis(), index = op.getIndex();
    OpFoldResult offset = rw.getIndexAttr(0);
    for (Value part : op.getParts().take_front(index))
      offset = add_sizes(rw, loc, offset, dim_of(rw, loc, part, axis));
    SmallVector<OpFoldResult> offsets(out.getRank(), rw.getIndexAttr(0)), sizes,
        strides(out.getRank(), rw.getIndexAttr(1));
    for (int64_t d = 0; d < out.getRank(); ++d)
      sizes.push_back(dim_of(rw, loc, d == axis ? op.getParts()[index] : op.getX(), d));
    offsets[axis] = offset;
    rw.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, out, op.getX(), offsets, sizes, strides);
    return success();
  }
};

struct LowerConstant : OpRewritePattern<tfjit::ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ConstantOp op, PatternRewriter& rw) const override {
    rw.replaceOpWithNewOp<arith::ConstantOp>(op, op.getValue());
    return success();
  }
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerReshape, LowerTranspose, LowerSlice, LowerGather, LowerConcat, LowerUnconcat,
               LowerConstant>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
