// Elementwise ops (the op table), broadcasts, casts and selects as linalg.generic ops:
// fusible chains with the scalar op of each table line (compiler/lowering/scalar_ops.h).
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

template <class Op>
struct LowerElementwise : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter& rw) const override {
    constexpr bool kBinary = std::is_same_v<Op, tfjit::BinaryOp>;
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
    const ScalarLowering* l = find_scalar_lowering(op.getFn().str(), kBinary);
    if (!l) return rw.notifyMatchFailure(op, "unknown elementwise function");
    ScalarBuilder fn = builder_for(*l, elem);
    if (!fn) return op.emitOpError() << "has no lowering for element type " << elem;
    SmallVector<AffineMap> maps(op->getNumOperands(), rw.getMultiDimIdentityMap(type.getRank()));
    // float16 and bfloat16 compute in float32 and round once, exactly as the eager kernels do.
    bool widen = elem.isF16() || elem.isBF16();
    return replace_with(rw, op,
                        generic(rw, op.getLoc(), op->getOperands(), maps, type,
                                [&](OpBuilder& b, Location loc, ValueRange args) {
                                  if (!widen) return fn(b, loc, args);
                                  SmallVector<Value> wide;
                                  for (Value a : args)
                                    wide.push_back(b.create<arith::ExtFOp>(loc, b.getF32Type(), a));
                                  Value r = fn(b, loc, wide);
                                  if (!isa<FloatType>(r.getType())) return r;
                                  return b.create<arith::TruncFOp>(loc, elem, r).getResult();
                                }));
  }
};

struct LowerBroadcastTo : OpRewritePattern<tfjit::BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::BroadcastToOp op, PatternRewriter& rw) const override {
    auto in = cast<RankedTensorType>(op.getX().getType());
    auto out = cast<RankedTensorType>(op.getType());
    int64_t lead = out.getRank() - in.getRank();
    // Drop the input's unit dims, then index it with the output dims it still has.
    SmallVector<bool> dropped;
    SmallVector<AffineExpr> exprs;
    SmallVector<int64_t> kept_shape;
    for (int64_t j = 0; j < in.getRank(); ++j) {
      dropped.push_back(in.getDimSize(j) == 1);
      if (dropped.back()) continue;
      exprs.push_back(rw.getAffineDimExpr(j + lead));
      kept_shape.push_back(in.getDimSize(j));
    }
    Value x = op.getX();
    if (kept_shape.size() != static_cast<size_t>(in.getRank()))
      x = rw.create<tensor::CollapseShapeOp>(op.getLoc(),
                                             RankedTensorType::get(kept_shape, in.getElementType()),
                                             x, unit_dim_groups(dropped));
    auto map = AffineMap::get(out.getRank(), 0, exprs, rw.getContext());
    // Dynamic result dims that x lacks take their sizes from the `like` operands, aligned at
    // the trailing dims.
    SmallVector<Value> like(op.getLike().begin(), op.getLike().end());
    SmallVector<AffineMap> like_maps;
    for (Value v : like) {
      int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
      SmallVector<AffineExpr> e;
      for (int64_t j = 0; j < rank; ++j) e.push_back(rw.getAffineDimExpr(j + out.getRank() - rank));
      like_maps.push_back(AffineMap::get(out.getRank(), 0, e, rw.getContext()));
    }
    return replace_with(
        rw, op,
        generic(
            rw, op.getLoc(), x, map, out,
            [](OpBuilder&, Location, ValueRange args) { return args[0]; }, like, like_maps));
  }
};

Value cast_scalar(OpBuilder& b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to) return v;
  auto fty = dyn_cast<FloatType>(from), tty = dyn_cast<FloatType>(to);
  if (fty && tty) {
    // bf16 <-> f16 go through f32, which holds both exactly; f64 -> 16 bits through f32 as the
    // eager kernels do (and LLVM has no inline f64 -> bf16: it calls compiler-rt).
    if (fty.getWidth() == tty.getWidth())
      v = b.create<arith::ExtFOp>(loc, b.getF32Type(), v);
    else if (fty.getWidth() == 64 && tty.getWidth() == 16)
      v = b.create<arith::TruncFOp>(loc, b.getF32Type(), v);
    return cast<FloatType>(v.getType()).getWidth() < tty.getWidth()
               ? b.create<arith::ExtFOp>(loc, to, v).getResult()
               : b.create<arith::TruncFOp>(loc, to, v).getResult();
  }
  if (to.isInteger(1)) {  // to bool: x != 0
    Value zero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(from));
    if (fty) return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, v, zero);
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v, zero);
  }
  bool from_bool = from.isInteger(1);
  if (tty) {
    return from_bool ? b.create<arith::UIToFPOp>(loc, to, v).getResult()
                     : b.create<arith::SIToFPOp>(loc, to, v).getResult();
  }
  unsigned to_width = to.getIntOrFloatBitWidth();
  if (!fty) {  // integer -> integer
    unsigned from_width = from.getIntOrFloatBitWidth();
    if (from_width > to_width) return b.create<arith::TruncIOp>(loc, to, v);
    return from_bool ? b.create<arith::ExtUIOp>(loc, to, v).getResult()
                     : b.create<arith::ExtSIOp>(loc, to, v).getResult();
  }
  // float -> integer: saturate, NaN -> 0 (the eager kernels' rule). fptosi's poison for
  // out-of-range inputs is never selected.
  Value d = fty.getWidth() < 64 ? b.create<arith::ExtFOp>(loc, b.getF64Type(), v).getResult() : v;
  APInt min = APInt::getSignedMinValue(to_width), max = APInt::getSignedMaxValue(to_width);
  auto fconst = [&](double x) { return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(x)); };
  auto iconst = [&](const APInt& x) {
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(to, x));
  };
  Value lo = fconst(static_cast<double>(min.getSExtValue()));
  Value hi = fconst(static_cast<double>(max.getSExtValue()));
  Value r = b.create<arith::FPToSIOp>(loc, to, d);
  r = b.create<arith::SelectOp>(loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLE, d, lo),
                                iconst(min), r);
  r = b.create<arith::SelectOp>(loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, d, hi),
                                iconst(max), r);
  Value zero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(to));
  return b.create<arith::SelectOp>(
      loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, d, d), zero, r);
}

struct LowerCast : OpRewritePattern<tfjit::CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::CastOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    return replace_with(
        rw, op,
        generic(rw, op.getLoc(), op.getX(), rw.getMultiDimIdentityMap(out.getRank()), out,
                [&](OpBuilder& b, Location loc, ValueRange args) {
                  return cast_scalar(b, loc, args[0], out.getElementType());
                }));
  }
};

struct LowerSelect : OpRewritePattern<tfjit::SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::SelectOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    SmallVector<AffineMap> maps(3, rw.getMultiDimIdentityMap(out.getRank()));
    return replace_with(
        rw, op,
        generic(rw, op.getLoc(), op->getOperands(), maps, out,
                [](OpBuilder& b, Location loc, ValueRange a) {
                  return b.create<arith::SelectOp>(loc, a[0], a[1], a[2]).getResult();
                }));
  }
};

void populate_family(RewritePatternSet& patterns, const Options& options) {
  patterns.add<LowerElementwise<tfjit::UnaryOp>, LowerElementwise<tfjit::BinaryOp>,
               LowerBroadcastTo, LowerCast, LowerSelect>(patterns.getContext());
}
const bool registered = register_patterns(Phase::kOps, &populate_family);

}  // namespace

}  // namespace tf::compiler::to_linalg
