// Pass: tfjit dialect -> linalg on tensors. Elementwise ops become linalg.generic with the
// scalar op from the op table; broadcasts become generic ops with projected indexing maps, so
// linalg's elementwise fusion can merge whole chains (and their broadcasts) into one loop nest.
#include "compiler/lowering/scalar_ops.h"
#include "compiler/mlir_support.h"
#include "ir/dialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

namespace scalar {
namespace {
using arith::CmpFPredicate;
using arith::CmpIPredicate;

struct Ops {  // terse helpers for the composites below
  OpBuilder& b;
  Location loc;
  Type type;
  Value constant(double v) {
    if (isa<FloatType>(type)) return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, v));
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, static_cast<int64_t>(v)));
  }
  Value cmpf(CmpFPredicate p, Value x, Value y) { return b.create<arith::CmpFOp>(loc, p, x, y); }
  Value cmpi(CmpIPredicate p, Value x, Value y) { return b.create<arith::CmpIOp>(loc, p, x, y); }
  Value select(Value c, Value x, Value y) { return b.create<arith::SelectOp>(loc, c, x, y); }
  template <class Op>
  Value op(Value x) {
    return b.create<Op>(loc, x);
  }
  template <class Op>
  Value op(Value x, Value y) {
    return b.create<Op>(loc, x, y);
  }
};

// log1p(x) = x if 1 + x == 1, else log(1 + x) * x / ((1 + x) - 1): Goldberg's accurate form,
// vectorisable (no libm call).
Value log1p(Ops o, Value x) {
  Value u = o.op<arith::AddFOp>(o.constant(1), x);
  Value accurate = o.op<arith::DivFOp>(o.op<arith::MulFOp>(o.op<math::LogOp>(u), x),
                                       o.op<arith::SubFOp>(u, o.constant(1)));
  Value tiny_or_inf = o.op<arith::OrIOp>(o.cmpf(CmpFPredicate::OEQ, u, o.constant(1)),
                                         o.cmpf(CmpFPredicate::OEQ, u, o.constant(INFINITY)));
  return o.select(o.cmpf(CmpFPredicate::OEQ, u, o.constant(1)), x,
                  o.select(tiny_or_inf, u, accurate));
}
}  // namespace

template <class Op>
Value Builder<Op>::build(OpBuilder& b, Location loc, ValueRange a) {
  Ops o{b, loc, a[0].getType()};
  if constexpr (std::is_same_v<Op, NegI>)
    return o.op<arith::SubIOp>(o.constant(0), a[0]);
  else if constexpr (std::is_same_v<Op, NotI>)
    return o.op<arith::XOrIOp>(a[0], o.constant(1));
  else if constexpr (std::is_same_v<Op, SquareF>)
    return o.op<arith::MulFOp>(a[0], a[0]);
  else if constexpr (std::is_same_v<Op, SquareI>)
    return o.op<arith::MulIOp>(a[0], a[0]);
  else if constexpr (std::is_same_v<Op, ReciprocalF>)
    return o.op<arith::DivFOp>(o.constant(1), a[0]);
  else if constexpr (std::is_same_v<Op, SignF>)
    return o.select(
        o.cmpf(CmpFPredicate::OGT, a[0], o.constant(0)), o.constant(1),
        o.select(o.cmpf(CmpFPredicate::OLT, a[0], o.constant(0)), o.constant(-1),
                 o.select(o.cmpf(CmpFPredicate::UNO, a[0], a[0]), a[0], o.constant(0))));
  else if constexpr (std::is_same_v<Op, SignI>)
    return o.select(
        o.cmpi(CmpIPredicate::sgt, a[0], o.constant(0)), o.constant(1),
        o.select(o.cmpi(CmpIPredicate::slt, a[0], o.constant(0)), o.constant(-1), o.constant(0)));
  else if constexpr (std::is_same_v<Op, ReluF>)
    return o.select(o.cmpf(CmpFPredicate::OGT, a[0], o.constant(0)), a[0], o.constant(0));
  else if constexpr (std::is_same_v<Op, ReluI>)
    return o.select(o.cmpi(CmpIPredicate::sgt, a[0], o.constant(0)), a[0], o.constant(0));
  else if constexpr (std::is_same_v<Op, SigmoidF>)
    return o.op<arith::DivFOp>(
        o.constant(1),
        o.op<arith::AddFOp>(o.constant(1), o.op<math::ExpOp>(o.op<arith::NegFOp>(a[0]))));
  else if constexpr (std::is_same_v<Op, Log1pF>)
    return log1p(o, a[0]);
  else if constexpr (std::is_same_v<Op, IsNanF>)
    return o.cmpf(CmpFPredicate::UNO, a[0], a[0]);
  else if constexpr (std::is_same_v<Op, IsInfF>)
    return o.cmpf(CmpFPredicate::OEQ, o.op<math::AbsFOp>(a[0]), o.constant(INFINITY));
  else if constexpr (std::is_same_v<Op, IsFiniteF>)
    return o.cmpf(CmpFPredicate::ONE, o.op<math::AbsFOp>(a[0]), o.constant(INFINITY));
  else if constexpr (std::is_same_v<Op, SoftplusF>)
    return o.select(o.cmpf(CmpFPredicate::OGT, a[0], o.constant(20)), a[0],
                    log1p(o, o.op<math::ExpOp>(a[0])));
  else if constexpr (std::is_same_v<Op, Expm1F>) {
    // Kahan: u = exp(x); x if u == 1; -1 if u - 1 == -1; inf if u == inf; else (u - 1) * x /
    // log(u).
    Value u = o.op<math::ExpOp>(a[0]);
    Value um1 = o.op<arith::SubFOp>(u, o.constant(1));
    Value r = o.op<arith::DivFOp>(o.op<arith::MulFOp>(um1, a[0]), o.op<math::LogOp>(u));
    r = o.select(o.cmpf(CmpFPredicate::OEQ, u, o.constant(INFINITY)), u, r);
    r = o.select(o.cmpf(CmpFPredicate::OEQ, um1, o.constant(-1)), um1, r);
    return o.select(o.cmpf(CmpFPredicate::OEQ, u, o.constant(1)), a[0], r);
  } else if constexpr (std::is_same_v<Op, FloorDivF>)
    return o.op<math::FloorOp>(o.op<arith::DivFOp>(a[0], a[1]));
  else if constexpr (std::is_same_v<Op, FloorModF>) {
    Value r = o.op<arith::RemFOp>(a[0], a[1]);
    Value fix =
        o.op<arith::AndIOp>(o.cmpf(CmpFPredicate::UNE, r, o.constant(0)),
                            o.op<arith::XOrIOp>(o.cmpf(CmpFPredicate::OLT, r, o.constant(0)),
                                                o.cmpf(CmpFPredicate::OLT, a[1], o.constant(0))));
    return o.select(fix, o.op<arith::AddFOp>(r, a[1]), r);
  } else if constexpr (std::is_same_v<Op, FloorDivSI> || std::is_same_v<Op, FloorModSI>) {
    // y == 0 gives 0 (eager raises first); y == -1 avoids the overflow of MIN / -1.
    Value zero = o.constant(0), y = a[1];
    Value y0 = o.cmpi(CmpIPredicate::eq, y, zero),
          ym1 = o.cmpi(CmpIPredicate::eq, y, o.constant(-1));
    Value safe = o.select(o.op<arith::OrIOp>(y0, ym1), o.constant(1), y);
    Value r;
    if constexpr (std::is_same_v<Op, FloorDivSI>) {
      r = o.select(ym1, o.op<arith::SubIOp>(zero, a[0]), o.op<arith::FloorDivSIOp>(a[0], safe));
    } else {
      Value m = o.op<arith::RemSIOp>(a[0], safe);
      Value fix = o.op<arith::AndIOp>(o.cmpi(CmpIPredicate::ne, m, zero),
                                      o.op<arith::XOrIOp>(o.cmpi(CmpIPredicate::slt, m, zero),
                                                          o.cmpi(CmpIPredicate::slt, safe, zero)));
      r = o.select(ym1, zero, o.select(fix, o.op<arith::AddIOp>(m, safe), m));
    }
    return o.select(y0, zero, r);
  } else if constexpr (std::is_same_v<Op, FloorDivUI> || std::is_same_v<Op, FloorModUI>) {
    Value zero = o.constant(0), y0 = o.cmpi(CmpIPredicate::eq, a[1], zero);
    Value safe = o.select(y0, o.constant(1), a[1]);
    Value r = std::is_same_v<Op, FloorDivUI> ? o.op<arith::DivUIOp>(a[0], safe)
                                             : o.op<arith::RemUIOp>(a[0], safe);
    return o.select(y0, zero, r);
  } else {
    return b.create<Op>(loc, a).getResult();
  }
}

}  // namespace scalar

using namespace scalar;

namespace {
constexpr ScalarLowering kUnaryLowerings[] = {
#define TFJIT_UNARY(name, dtypes, result, expr, f, s, u) \
  {#name, builder<f>(), builder<s>(), builder<u>()},
#include "tfjit/elementwise_ops.def"
};
constexpr ScalarLowering kBinaryLowerings[] = {
#define TFJIT_BINARY(name, dtypes, result, expr, f, s, u) \
  {#name, builder<f>(), builder<s>(), builder<u>()},
#include "tfjit/elementwise_ops.def"
};
}  // namespace

const ScalarLowering* find_scalar_lowering(std::string_view fn, bool binary) {
  for (const auto& l : binary ? std::span<const ScalarLowering>(kBinaryLowerings)
                              : std::span<const ScalarLowering>(kUnaryLowerings))
    if (l.name == fn) return &l;
  return nullptr;
}

namespace {

using BodyFn = function_ref<Value(OpBuilder&, Location, ValueRange)>;

// A linalg.generic over `out`'s iteration space; `maps` are the inputs' indexing maps.
Value generic(OpBuilder& b, Location loc, ValueRange inputs, ArrayRef<AffineMap> maps,
              RankedTensorType out, BodyFn body) {
  Value init = b.create<tensor::EmptyOp>(loc, out.getShape(), out.getElementType());
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
    rw.replaceOp(op, generic(rw, op.getLoc(), op->getOperands(), maps, type,
                             [&](OpBuilder& b, Location loc, ValueRange args) {
                               if (!widen) return fn(b, loc, args);
                               SmallVector<Value> wide;
                               for (Value a : args)
                                 wide.push_back(b.create<arith::ExtFOp>(loc, b.getF32Type(), a));
                               Value r = fn(b, loc, wide);
                               if (!isa<FloatType>(r.getType())) return r;
                               return b.create<arith::TruncFOp>(loc, elem, r).getResult();
                             }));
    return success();
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
    rw.replaceOp(op, generic(rw, op.getLoc(), x, map, out,
                             [](OpBuilder&, Location, ValueRange args) { return args[0]; }));
    return success();
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
    rw.replaceOp(op, generic(rw, op.getLoc(), op.getX(), rw.getMultiDimIdentityMap(out.getRank()),
                             out, [&](OpBuilder& b, Location loc, ValueRange args) {
                               return cast_scalar(b, loc, args[0], out.getElementType());
                             }));
    return success();
  }
};

Value zero_filled(OpBuilder& b, Location loc, RankedTensorType type) {
  Value init = b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  Value zero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(type.getElementType()));
  return b.create<linalg::FillOp>(loc, zero, init).getResult(0);
}

Value add_scalars(OpBuilder& b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType())) return b.create<arith::AddFOp>(loc, x, y);
  return b.create<arith::AddIOp>(loc, x, y);
}

struct LowerMatmul : OpRewritePattern<tfjit::MatmulOp> {
  LowerMatmul(MLIRContext* ctx, bool named) : OpRewritePattern(ctx), named_(named) {}
  LogicalResult matchAndRewrite(tfjit::MatmulOp op, PatternRewriter& rw) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    Value acc = zero_filled(rw, loc, out);
    if (named_) {  // linalg.matmul: becomes a library call after bufferization
      rw.replaceOp(
          op, rw.create<linalg::MatmulOp>(loc, ValueRange{op.getA(), op.getB()}, acc).getResult(0));
      return success();
    }
    // Generated code: loops in (i, k, j) order so the innermost loop streams rows of B and C.
    auto d = [&](unsigned i) { return rw.getAffineDimExpr(i); };
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(0), d(1)}, rw.getContext()),
                                   AffineMap::get(3, 0, {d(1), d(2)}, rw.getContext()),
                                   AffineMap::get(3, 0, {d(0), d(2)}, rw.getContext())};
    SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                              utils::IteratorType::reduction,
                                              utils::IteratorType::parallel};
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

// The reduction table's identities and combine ops.
enum Identity { Zero, One, Lowest, Highest, False, True };
struct ReductionLowering {
  std::string_view name;
  Identity identity;
  ScalarBuilder float_op, signed_op, unsigned_op;
};
constexpr ReductionLowering kReductionLowerings[] = {
#define TFJIT_REDUCTION(name, dtypes, identity, expr, f, s, u) \
  {#name, identity, builder<f>(), builder<s>(), builder<u>()},
#include "tfjit/reduction_ops.def"
};

TypedAttr identity_attr(mlir::Builder& b, Type type, Identity id) {
  if (auto f = dyn_cast<FloatType>(type)) {
    const auto& sem = f.getFloatSemantics();
    switch (id) {
      case Lowest:
        return b.getFloatAttr(type, APFloat::getInf(sem, /*Negative=*/true));
      case Highest:
        return b.getFloatAttr(type, APFloat::getInf(sem));
      case One:
      case True:
        return b.getFloatAttr(type, 1.0);
      default:
        return b.getFloatAttr(type, 0.0);
    }
  }
  unsigned width = type.getIntOrFloatBitWidth();
  bool is_unsigned = type.isUnsignedInteger();
  switch (id) {
    case Lowest:
      return b.getIntegerAttr(
          type, is_unsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width));
    case Highest:
      return b.getIntegerAttr(
          type, is_unsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width));
    case One:
    case True:
      return b.getIntegerAttr(type, APInt(width, 1));
    default:
      return b.getIntegerAttr(type, APInt(width, 0));
  }
}

struct LowerReduce : OpRewritePattern<tfjit::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tfjit::ReduceOp op, PatternRewriter& rw) const override {
    auto in = cast<RankedTensorType>(op.getX().getType());
    auto out = cast<RankedTensorType>(op.getType());
    Type elem = in.getElementType();
    const ReductionLowering* l = nullptr;
    for (const auto& r : kReductionLowerings)
      if (r.name == op.getFn().str()) l = &r;
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
    Value init = rw.create<tensor::EmptyOp>(loc, flat.getShape(), elem);
    Value identity = rw.create<arith::ConstantOp>(loc, identity_attr(rw, elem, l->identity));
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
      for (int64_t a : axes) unit[a] = true;
      result = rw.create<tensor::ExpandShapeOp>(loc, out, result, unit_dim_groups(unit));
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
    rw.replaceOp(op, generic(rw, op.getLoc(), op->getOperands(), maps, out,
                             [](OpBuilder& b, Location loc, ValueRange a) {
                               return b.create<arith::SelectOp>(loc, a[0], a[1], a[2]).getResult();
                             }));
    return success();
  }
};

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
    rw.replaceOp(op, generic(rw, op.getLoc(), op.getX(), map, out,
                             [](OpBuilder&, Location, ValueRange a) { return a[0]; }));
    return success();
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

struct TfjitToLinalgPass : PassWrapper<TfjitToLinalgPass, OperationPass<ModuleOp>> {
  explicit TfjitToLinalgPass(bool named_matmul) : named_matmul_(named_matmul) {}
  StringRef getArgument() const override { return "tfjit-to-linalg"; }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerElementwise<tfjit::UnaryOp>, LowerElementwise<tfjit::BinaryOp>,
                 LowerBroadcastTo, LowerCast, LowerReduce, LowerSelect, LowerReshape,
                 LowerTranspose, LowerConcat, LowerSlice, LowerConstant>(&getContext());
    patterns.add<LowerMatmul>(&getContext(), named_matmul_);
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
  bool named_matmul_;
};

}  // namespace

std::unique_ptr<Pass> create_tfjit_to_linalg_pass(bool named_matmul) {
  return std::make_unique<TfjitToLinalgPass>(named_matmul);
}

}  // namespace tf::compiler
