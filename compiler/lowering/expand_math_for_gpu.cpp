// Pass: the math functions libdevice lowering (GPU -> NVVM in LLVM 19) does not cover -> the ones
// it does, in forms accurate near 0 and 1 (no cancellation): sinh and asinh through expm1 and
// log1p, asin and acos through atan2. Runs on GPU kernels only; the CPU calls libm for them.
#include "compiler/mlir_support.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tf::compiler {

#define GEN_PASS_DEF_EXPANDMATHFORGPU
#include "compiler/Passes.h.inc"

namespace {

struct Ops {
  PatternRewriter& rw;
  Location loc;
  Type type;
  Value c(double v) { return rw.create<arith::ConstantOp>(loc, rw.getFloatAttr(type, v)); }
  Value add(Value a, Value b) { return rw.create<arith::AddFOp>(loc, a, b); }
  Value sub(Value a, Value b) { return rw.create<arith::SubFOp>(loc, a, b); }
  Value mul(Value a, Value b) { return rw.create<arith::MulFOp>(loc, a, b); }
  Value div(Value a, Value b) { return rw.create<arith::DivFOp>(loc, a, b); }
  Value neg(Value a) { return rw.create<arith::NegFOp>(loc, a); }
  Value abs(Value a) { return rw.create<math::AbsFOp>(loc, a); }
  Value sqrt(Value a) { return rw.create<math::SqrtOp>(loc, a); }
  Value exp(Value a) { return rw.create<math::ExpOp>(loc, a); }
  Value expm1(Value a) { return rw.create<math::ExpM1Op>(loc, a); }
  Value log1p(Value a) { return rw.create<math::Log1pOp>(loc, a); }
  Value atan2(Value a, Value b) { return rw.create<math::Atan2Op>(loc, a, b); }
  Value copysign(Value a, Value b) { return rw.create<math::CopySignOp>(loc, a, b); }
};

// Each pattern replaces one op with `expand(ops, x)`.
template <class Op, Value (*expand)(Ops&, Value)>
struct Expand : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter& rw) const override {
    Ops o{rw, op.getLoc(), op.getType()};
    rw.replaceOp(op, expand(o, op.getOperand()));
    return success();
  }
};

// sinh x = (expm1 x - expm1 -x) / 2; cosh x = (e^x + e^-x) / 2.
Value sinh(Ops& o, Value x) { return o.mul(o.sub(o.expm1(x), o.expm1(o.neg(x))), o.c(0.5)); }
Value cosh(Ops& o, Value x) { return o.mul(o.add(o.exp(x), o.exp(o.neg(x))), o.c(0.5)); }
// sqrt(1 - x^2) as sqrt((1 - x)(1 + x)): exact near |x| = 1.
Value cosine_of_arcsine(Ops& o, Value x) {
  return o.sqrt(o.mul(o.sub(o.c(1), x), o.add(o.c(1), x)));
}
Value asin(Ops& o, Value x) { return o.atan2(x, cosine_of_arcsine(o, x)); }
Value acos(Ops& o, Value x) { return o.atan2(cosine_of_arcsine(o, x), x); }
// asinh |x| = log1p(|x| + x^2 / (1 + sqrt(1 + x^2))), with x's sign. Large |x| would overflow
// x^2: there asinh |x| = log(2|x|) = log1p(|x|) + log 2 to float precision.
Value asinh(Ops& o, Value x) {
  Value a = o.abs(x);
  Value small =
      o.log1p(o.add(a, o.div(o.mul(a, a), o.add(o.c(1), o.sqrt(o.add(o.c(1), o.mul(a, a)))))));
  Value large = o.add(o.log1p(a), o.c(0.69314718055994530942));
  Value big = o.rw.create<arith::CmpFOp>(o.loc, arith::CmpFPredicate::OGT, a, o.c(1e18));
  return o.copysign(o.rw.create<arith::SelectOp>(o.loc, big, large, small), x);
}
// acosh x = log1p((x - 1) + sqrt((x - 1)(x + 1))); NaN below 1 (sqrt of a negative).
Value acosh(Ops& o, Value x) {
  Value t = o.sub(x, o.c(1));
  Value big = o.rw.create<arith::CmpFOp>(o.loc, arith::CmpFPredicate::OGT, x, o.c(1e18));
  Value small = o.log1p(o.add(t, o.sqrt(o.mul(t, o.add(x, o.c(1))))));
  Value large = o.add(o.log1p(x), o.c(0.69314718055994530942));
  return o.rw.create<arith::SelectOp>(o.loc, big, large, small);
}
// atanh x = log1p(2x / (1 - x)) / 2.
Value atanh(Ops& o, Value x) {
  return o.mul(o.log1p(o.div(o.add(x, x), o.sub(o.c(1), x))), o.c(0.5));
}

struct ExpandMathForGpuPass : impl::ExpandMathForGpuBase<ExpandMathForGpuPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<Expand<math::SinhOp, sinh>, Expand<math::CoshOp, cosh>, Expand<math::AsinOp, asin>,
                 Expand<math::AcosOp, acos>, Expand<math::AsinhOp, asinh>,
                 Expand<math::AcoshOp, acosh>, Expand<math::AtanhOp, atanh>>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

}  // namespace

std::unique_ptr<Pass> create_expand_math_for_gpu_pass() {
  return std::make_unique<ExpandMathForGpuPass>();
}

}  // namespace tf::compiler
