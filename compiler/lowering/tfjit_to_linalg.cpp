// Pass: tfjit dialect -> linalg on tensors. Elementwise ops become linalg.generic with the
// scalar op from the op table; broadcasts become generic ops with projected indexing maps, so
// linalg's elementwise fusion can merge whole chains (and their broadcasts) into one loop nest.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/mlir_support.h"
#include "compiler/pass_dialects.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DECL_TFJITTOLINALG
#define GEN_PASS_DEF_TFJITTOLINALG
#include "compiler/Passes.h.inc"

namespace {

using BodyFn = function_ref<Value(OpBuilder&, Location, ValueRange)>;

// The run-time sizes of `out`'s dynamic dims, for tensor.empty: dim d is read with tensor.dim
// from the first source whose indexing map (loop dims -> source dims) sends loop dim d to a
// dynamic dim of the source. Empty if some dim has no source (the caller reports it).
std::optional<SmallVector<Value>> dynamic_sizes(OpBuilder& b, Location loc, RankedTensorType out,
                                                ArrayRef<Value> sources, ArrayRef<AffineMap> maps) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < out.getRank(); ++d) {
    if (!out.isDynamicDim(d)) continue;
    Value size;
    for (size_t k = 0; k < sources.size() && !size; ++k) {
      auto type = cast<RankedTensorType>(sources[k].getType());
      for (unsigned r = 0; r < maps[k].getNumResults() && !size; ++r) {
        auto e = dyn_cast<AffineDimExpr>(maps[k].getResult(r));
        if (e && e.getPosition() == d && type.isDynamicDim(r))
          size = b.create<tensor::DimOp>(loc, sources[k], r);
      }
    }
    if (!size) return std::nullopt;
    sizes.push_back(size);
  }
  return sizes;
}

// A linalg.generic over `out`'s iteration space; `maps` are the inputs' indexing maps. Dynamic
// sizes come from the inputs, then from `size_sources` (operands that only lend sizes). Null if
// a dynamic size has no source.
Value generic(OpBuilder& b, Location loc, ValueRange inputs, ArrayRef<AffineMap> maps,
              RankedTensorType out, BodyFn body, ArrayRef<Value> size_sources = {},
              ArrayRef<AffineMap> size_maps = {}) {
  SmallVector<Value> sources(inputs.begin(), inputs.end());
  sources.append(size_sources.begin(), size_sources.end());
  SmallVector<AffineMap> source_maps(maps.begin(), maps.end());
  source_maps.append(size_maps.begin(), size_maps.end());
  auto sizes = dynamic_sizes(b, loc, out, sources, source_maps);
  if (!sizes) return {};
  Value init = b.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType(), *sizes);
  SmallVector<AffineMap> all(maps.begin(), maps.end());
  all.push_back(b.getMultiDimIdentityMap(out.getRank()));
  SmallVector<utils::IteratorType> iters(out.getRank(), utils::IteratorType::parallel);
  auto op = b.create<linalg::GenericOp>(loc, TypeRange{out}, inputs, ValueRange{init}, all, iters,
                                        [&](OpBuilder& nb, Location nl, ValueRange args) {
                                          Value r = body(nb, nl, args.drop_back());
                                          nb.create<linalg::YieldOp>(nl, r);
                                        });
  return op.getResult(0);
}

// Replaces `op` with `v`, or fails when `generic` found no source for a dynamic size.
LogicalResult replace_with(PatternRewriter& rw, Operation* op, Value v) {
  if (!v) return op->emitOpError("has a dynamic result dimension that no operand gives");
  rw.replaceOp(op, v);
  return success();
}

// Groups dims so that each group has exactly one kept dim (dropped dims join the next kept one,
// trailing ones the last); no groups when every dim is dropped. Used to collapse/expand unit dims.
SmallVector<ReassociationIndices> unit_dim_groups(ArrayRef<bool> dropped) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (int64_t i = 0; i < static_cast<int64_t>(dropped.size()); ++i) {
    pending.push_back(i);
    if (!dropped[i]) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!groups.empty()) groups.back().append(pending.begin(), pending.end());
  return groups;
}

template <class Op>
struct LowerElementwise : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter& rw) const override {
    constexpr bool kBinary = std::is_same_v<Op, tfjit::BinaryOp>;
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
    const ScalarLowering* l = find_scalar_lowering(op.getFn().str(), kBinary);
    if (!l) return rw.notifyMatchFailure(op, "unknown elementwise function");
    ScalarBuilder fn = isa<FloatType>(elem)       ? l->float_op
                       : elem.isUnsignedInteger() ? l->unsigned_op
                                                  : l->signed_op;
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
    return fty.getWidth() < tty.getWidth() ? b.create<arith::ExtFOp>(loc, to, v).getResult()
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

// `dynamic`: the sizes of type's dynamic dims, in order.
Value zero_filled(OpBuilder& b, Location loc, RankedTensorType type, ValueRange dynamic) {
  Value init = b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(), dynamic);
  Value zero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type.getElementType()));
  return b.create<linalg::FillOp>(loc, zero, init).getResult(0);
}

Value add_scalars(OpBuilder& b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType())) return b.create<arith::AddFOp>(loc, x, y);
  return b.create<arith::AddIOp>(loc, x, y);
}

// The operand of a tfjit.transpose that swaps the last two axes and nothing else, if `v` is one.
Value swapped_last_two(Value v) {
  auto t = v.getDefiningOp<tfjit::TransposeOp>();
  if (!t) return {};
  ArrayRef<int64_t> perm = t.getPerm();
  const int64_t r = static_cast<int64_t>(perm.size());
  for (int64_t i = 0; i + 2 < r; ++i)
    if (perm[i] != i) return {};
  return r >= 2 && perm[r - 2] == r - 1 && perm[r - 1] == r - 2 ? t.getX() : Value();
}

struct LowerMatmul : OpRewritePattern<tfjit::MatmulOp> {
  LowerMatmul(MLIRContext* ctx, bool named) : OpRewritePattern(ctx), named_(named) {}
  LogicalResult matchAndRewrite(tfjit::MatmulOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    const int64_t r = out.getRank();
    bool batched = r == 3;
    // A float32 GEMM (a library call) takes a transposed operand as a flag: backward passes are
    // full of transposes (g w^T, x^T g), each a strided copy when materialised. One flag is
    // enough for the named ops; with both, a's transpose stays an op.
    Value a = op.getA(), b = op.getB(), ta, tb;
    if (named_ && out.getElementType().isF32()) {
      tb = swapped_last_two(b);
      if (!tb) ta = swapped_last_two(a);
    }
    // Result dims: [batch from a (or b),] rows from a, columns from b (read from the transpose's
    // operand where it is folded, so that the transpose itself is not kept alive).
    auto dim = [&](bool from_b, int64_t d) -> Value {
      Value folded = from_b ? tb : ta;
      if (folded && d >= r - 2) d = d == r - 1 ? r - 2 : r - 1;
      return rw.create<tensor::DimOp>(loc, folded ? folded : (from_b ? b : a), d);
    };
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < r; ++d) {
      if (!out.isDynamicDim(d)) continue;
      bool from_b =
          d == r - 1 || (batched && d == 0 && !cast<RankedTensorType>(a.getType()).isDynamicDim(0));
      sizes.push_back(dim(from_b, d));
    }
    Value acc = zero_filled(rw, loc, out, sizes);
    if (named_) {  // linalg.(batch_)matmul: becomes a library call after bufferization
      SmallVector<Value, 2> ins = {ta ? ta : a, tb ? tb : b};  // ValueRange would dangle
      Operation* mm;
      if (tb)
        mm = batched ? rw.create<linalg::BatchMatmulTransposeBOp>(loc, ins, acc).getOperation()
                     : rw.create<linalg::MatmulTransposeBOp>(loc, ins, acc).getOperation();
      else if (ta)
        mm = batched ? rw.create<linalg::BatchMatmulTransposeAOp>(loc, ins, acc).getOperation()
                     : rw.create<linalg::MatmulTransposeAOp>(loc, ins, acc).getOperation();
      else
        mm = batched ? rw.create<linalg::BatchMatmulOp>(loc, ins, acc).getOperation()
                     : rw.create<linalg::MatmulOp>(loc, ins, acc).getOperation();
      rw.replaceOp(op, mm->getResult(0));
      return success();
    }
    // Generated code: loops in ([b,] i, k, j) order so the innermost loop streams rows of B and C.
    unsigned n = batched ? 4 : 3, o = batched ? 1 : 0;
    auto d = [&](unsigned i) { return rw.getAffineDimExpr(i + o); };
    auto map = [&](AffineExpr x, AffineExpr y) {
      SmallVector<AffineExpr> e;
      if (batched) e.push_back(rw.getAffineDimExpr(0));
      e.push_back(x);
      e.push_back(y);
      return AffineMap::get(n, 0, e, rw.getContext());
    };
    SmallVector<AffineMap> maps = {map(d(0), d(1)), map(d(1), d(2)), map(d(0), d(2))};
    SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                              utils::IteratorType::reduction,
                                              utils::IteratorType::parallel};
    if (batched) iters.insert(iters.begin(), utils::IteratorType::parallel);
    auto generic = rw.create<linalg::GenericOp>(
        loc, TypeRange{out}, ValueRange{op.getA(), op.getB()}, ValueRange{acc}, maps, iters,
        [&](OpBuilder& b, Location l, ValueRange args) {
          Value prod = isa<FloatType>(args[0].getType())
                           ? b.create<arith::MulFOp>(l, args[0], args[1]).getResult()
                           : b.create<arith::MulIOp>(l, args[0], args[1]).getResult();
          b.create<linalg::YieldOp>(l, add_scalars(b, l, args[2], prod));
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
  bool named_;
};

struct LowerReduce : OpRewritePattern<tfjit::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ReduceOp op, PatternRewriter& rw) const override {
    auto in = cast<RankedTensorType>(op.getX().getType());
    auto out = cast<RankedTensorType>(op.getType());
    Type elem = in.getElementType();
    const ReductionLowering* l = find_reduction_lowering(op.getFn().str());
    if (!l) return op.emitOpError("unknown reduction");
    ScalarBuilder combine = isa<FloatType>(elem)       ? l->float_op
                            : elem.isUnsignedInteger() ? l->unsigned_op
                                                       : l->signed_op;
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
// the dimensions with negative strides.
struct LowerSlice : OpRewritePattern<tfjit::SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::SliceOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    SmallVector<AffineExpr> exprs;
    bool reversed = false;
    for (int64_t d = 0; d < out.getRank(); ++d) {
      int64_t start = op.getStart()[d], size = op.getSize()[d], stride = op.getStride()[d];
      int64_t first = stride > 0 || size == 0 ? start : start + stride * (size - 1);
      offsets.push_back(rw.getIndexAttr(first));
      sizes.push_back(rw.getIndexAttr(size));
      strides.push_back(rw.getIndexAttr(std::abs(stride)));
      exprs.push_back(stride > 0 ? rw.getAffineDimExpr(d)
                                 : rw.getAffineConstantExpr(size - 1) - rw.getAffineDimExpr(d));
      reversed = reversed || stride < 0;
    }
    Value x =
        rw.create<tensor::ExtractSliceOp>(op.getLoc(), out, op.getX(), offsets, sizes, strides);
    if (reversed) {
      auto map = AffineMap::get(out.getRank(), 0, exprs, rw.getContext());
      x = generic(rw, op.getLoc(), x, map, out,
                  [](OpBuilder&, Location, ValueRange a) { return a[0]; });
    }
    rw.replaceOp(op, x);
    return success();
  }
};

// gather: a generic op over the result reading each index from `indices` and the element from
// params with tensor.extract; indices are clamped into range (compiled code cannot raise yet).
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
    Value table = op.getParams();
    rw.replaceOp(
        op,
        generic(rw, op.getLoc(), op.getIndices(), map, out,
                [&](OpBuilder& b, Location loc, ValueRange a) {
                  Value i = b.create<arith::IndexCastOp>(loc, b.getIndexType(), a[0]);
                  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
                  Value last = b.create<arith::ConstantIndexOp>(loc, params.getDimSize(axis) - 1);
                  i = b.create<arith::MaxSIOp>(loc, b.create<arith::MinSIOp>(loc, i, last), zero);
                  SmallVector<Value> coords;
                  for (int64_t d = 0; d < params.getRank(); ++d) {
                    if (d == axis)
                      coords.push_back(i);
                    else
                      coords.push_back(b.create<linalg::IndexOp>(loc, d < axis ? d : d + ni - 1));
                  }
                  return b.create<tensor::ExtractOp>(loc, table, coords).getResult();
                }));
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
    // Start from element 0 of the axis (the axis is never empty).
    SmallVector<OpFoldResult> offsets(in.getRank(), rw.getIndexAttr(0)), sizes,
        strides(in.getRank(), rw.getIndexAttr(1));
    for (int64_t d = 0; d < in.getRank(); ++d)
      sizes.push_back(rw.getIndexAttr(d == axis ? 1 : in.getDimSize(d)));
    Value first =
        rw.create<tensor::ExtractSliceOp>(loc, values, op.getX(), offsets, sizes, strides);
    Value init_index = rw.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType());
    init_index = rw.create<linalg::FillOp>(
                       loc, ValueRange{rw.create<arith::ConstantOp>(loc, rw.getI64IntegerAttr(0))},
                       init_index)
                     .getResult(0);
    Value init_value = rw.create<tensor::EmptyOp>(loc, out.getShape(), elem);
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

struct LowerConcat : OpRewritePattern<tfjit::ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ConcatOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    Value result = rw.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType());
    int64_t offset = 0;
    for (Value v : op.getValues()) {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<OpFoldResult> offsets(out.getRank(), rw.getIndexAttr(0)), sizes,
          strides(out.getRank(), rw.getIndexAttr(1));
      for (int64_t d = 0; d < t.getRank(); ++d) sizes.push_back(rw.getIndexAttr(t.getDimSize(d)));
      offsets[axis] = rw.getIndexAttr(offset);
      result = rw.create<tensor::InsertSliceOp>(loc, v, result, offsets, sizes, strides);
      offset += t.getDimSize(axis);
    }
    rw.replaceOp(op, result);
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

// Each result must be a fresh tensor: results become the caller's output buffers, so a
// returned argument or a value returned twice gets its own copy.
void copy_aliased_results(ModuleOp module) {
  module.walk([](func::ReturnOp ret) {
    OpBuilder b(ret);
    llvm::SmallPtrSet<Value, 4> seen;
    for (OpOperand& operand : ret->getOpOperands()) {
      Value v = operand.get();
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type || (!isa<BlockArgument>(v) && seen.insert(v).second)) continue;
      operand.set(b.create<bufferization::AllocTensorOp>(ret.getLoc(), type, ValueRange{}, v));
    }
  });
}

struct TfjitToLinalgPass : impl::TfjitToLinalgBase<TfjitToLinalgPass> {
  TfjitToLinalgPass() = default;
  explicit TfjitToLinalgPass(bool named_matmul) { namedMatmul = named_matmul; }
  void runOnOperation() override {
    // Matmuls first, while the transposes they may fold are still tfjit ops.
    RewritePatternSet matmuls(&getContext());
    matmuls.add<LowerMatmul>(&getContext(), namedMatmul);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(matmuls))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns
        .add<LowerElementwise<tfjit::UnaryOp>, LowerElementwise<tfjit::BinaryOp>, LowerBroadcastTo,
             LowerCast, LowerReduce, LowerSelect, LowerReshape, LowerTranspose, LowerConcat,
             LowerSlice, LowerGather, LowerArgReduce, LowerConstant>(&getContext());
    add_effects_to_calls_patterns(patterns);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    bool left = false;
    getOperation().walk([&](Operation* op) {
      if (isa<tfjit::TfjitDialect>(op->getDialect())) {
        op->emitOpError("could not be lowered to linalg");
        left = true;
      }
    });
    if (left) return signalPassFailure();
    copy_aliased_results(getOperation());
  }
};

}  // namespace

std::unique_ptr<Pass> create_tfjit_to_linalg_pass(bool named_matmul) {
  return std::make_unique<TfjitToLinalgPass>(named_matmul);
}

}  // namespace tf::compiler
