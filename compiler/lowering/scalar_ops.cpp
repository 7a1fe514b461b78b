// The op tables' scalar builders: for each elementwise op and reduction, the MLIR that computes
// one element (or combines one element into an accumulator), per dtype class.
#include <cmath>
#include <span>

#include "compiler/lowering/scalar_ops.h"
#include "compiler/lowering/special_functions.h"
#include "mlir/Dialect/Math/IR/Math.h"

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

// Kahan: u = exp(x); x if u == 1; -1 if u - 1 == -1; inf if u == inf; else (u - 1) * (x / log(u))
// (x / log(u) is about 1: (u - 1) * x would overflow for u near the largest float).
Value expm1(Ops o, Value x) {
  Value u = o.op<math::ExpOp>(x);
  Value um1 = o.op<arith::SubFOp>(u, o.constant(1));
  Value r = o.op<arith::MulFOp>(um1, o.op<arith::DivFOp>(x, o.op<math::LogOp>(u)));
  r = o.select(o.cmpf(CmpFPredicate::OEQ, u, o.constant(INFINITY)), u, r);
  r = o.select(o.cmpf(CmpFPredicate::OEQ, um1, o.constant(-1)), um1, r);
  return o.select(o.cmpf(CmpFPredicate::OEQ, u, o.constant(1)), x, r);
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
  else if constexpr (std::is_same_v<Op, MaximumF> || std::is_same_v<Op, MinimumF>) {
    // NaN when either is (x + y), else the larger (smaller), x on a tie (signed zeros), as the
    // eager kernel. Not arith.maximumf: of widened 16-bit floats it becomes llvm.maximum on
    // half or bfloat vectors, which LLVM 19's x86 backend miscompiles without native 16-bit
    // arithmetic (a NaN in y is lost).
    Value x = a[0], y = a[1];
    Value take_y = std::is_same_v<Op, MaximumF> ? o.cmpf(CmpFPredicate::OLT, x, y)
                                                : o.cmpf(CmpFPredicate::OLT, y, x);
    return o.select(o.cmpf(CmpFPredicate::UNO, x, y), o.op<arith::AddFOp>(x, y),
                    o.select(take_y, y, x));
  } else if constexpr (std::is_same_v<Op, ReluF>)
    return o.select(o.cmpf(CmpFPredicate::OGT, a[0], o.constant(0)), a[0], o.constant(0));
  else if constexpr (std::is_same_v<Op, ReluI>)
    return o.select(o.cmpi(CmpIPredicate::sgt, a[0], o.constant(0)), a[0], o.constant(0));
  else if constexpr (std::is_same_v<Op, ReluGradF>)
    return o.select(o.cmpf(CmpFPredicate::OGT, a[1], o.constant(0)), a[0], o.constant(0));
  else if constexpr (std::is_same_v<Op, ReluGradI>)
    return o.select(o.cmpi(CmpIPredicate::sgt, a[1], o.constant(0)), a[0], o.constant(0));
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
    return expm1(o, a[0]);
  } else if constexpr (std::is_same_v<Op, Relu6F>) {
    Value x = a[0];
    return o.select(o.cmpf(CmpFPredicate::OGT, x, o.constant(0)),
                    o.select(o.cmpf(CmpFPredicate::OLT, x, o.constant(6)), x, o.constant(6)),
                    o.constant(0));
  } else if constexpr (std::is_same_v<Op, Relu6I>) {
    Value x = a[0];
    return o.select(o.cmpi(CmpIPredicate::sgt, x, o.constant(0)),
                    o.select(o.cmpi(CmpIPredicate::slt, x, o.constant(6)), x, o.constant(6)),
                    o.constant(0));
  } else if constexpr (std::is_same_v<Op, EluF> || std::is_same_v<Op, SeluF>) {
    const bool selu = std::is_same_v<Op, SeluF>;
    const double scale = selu ? 1.0507009873554804934193349852946 : 1.0;
    const double alpha = selu ? 1.6732632423543772848170429916717 : 1.0;
    Value x = a[0];
    Value neg = expm1(o, x);
    if (selu) neg = o.op<arith::MulFOp>(neg, o.constant(scale * alpha));
    Value pos = selu ? o.op<arith::MulFOp>(x, o.constant(scale)) : x;
    return o.select(o.cmpf(CmpFPredicate::OGT, x, o.constant(0)), pos, neg);
  } else if constexpr (std::is_same_v<Op, GeluF>) {
    Value e = o.op<math::ErfOp>(o.op<arith::MulFOp>(a[0], o.constant(0.70710678118654752440)));
    return o.op<arith::MulFOp>(o.op<arith::MulFOp>(a[0], o.constant(0.5)),
                               o.op<arith::AddFOp>(o.constant(1), e));
  } else if constexpr (std::is_same_v<Op, GeluTanhF>) {
    Value x = a[0];
    Value cube = o.op<arith::MulFOp>(o.op<arith::MulFOp>(x, x), x);
    Value inner =
        o.op<arith::MulFOp>(o.op<arith::AddFOp>(x, o.op<arith::MulFOp>(cube, o.constant(0.044715))),
                            o.constant(0.79788456080286535588));
    return o.op<arith::MulFOp>(o.op<arith::MulFOp>(x, o.constant(0.5)),
                               o.op<arith::AddFOp>(o.constant(1), o.op<math::TanhOp>(inner)));
  } else if constexpr (std::is_same_v<Op, SiluF>) {
    return o.op<arith::DivFOp>(
        a[0], o.op<arith::AddFOp>(o.constant(1), o.op<math::ExpOp>(o.op<arith::NegFOp>(a[0]))));
  } else if constexpr (std::is_same_v<Op, SoftsignF>) {
    return o.op<arith::DivFOp>(a[0], o.op<arith::AddFOp>(o.constant(1), o.op<math::AbsFOp>(a[0])));
  } else if constexpr (std::is_same_v<Op, LogSigmoidF>) {
    Value x = a[0];
    Value smooth = o.op<arith::NegFOp>(log1p(o, o.op<math::ExpOp>(o.op<arith::NegFOp>(x))));
    return o.select(o.cmpf(CmpFPredicate::OLT, x, o.constant(-20)), x, smooth);
  } else if constexpr (std::is_same_v<Op, HardSigmoidF>) {
    Value x = a[0];
    Value ramp = o.op<arith::DivFOp>(o.op<arith::AddFOp>(x, o.constant(3)), o.constant(6));
    return o.select(o.cmpf(CmpFPredicate::OGT, x, o.constant(-3)),
                    o.select(o.cmpf(CmpFPredicate::OLT, x, o.constant(3)), ramp, o.constant(1)),
                    o.constant(0));
  } else if constexpr (std::is_same_v<Op, SquaredDifferenceF>) {
    Value d = o.op<arith::SubFOp>(a[0], a[1]);
    return o.op<arith::MulFOp>(d, d);
  } else if constexpr (std::is_same_v<Op, SquaredDifferenceI>) {
    Value d = o.op<arith::SubIOp>(a[0], a[1]);
    return o.op<arith::MulIOp>(d, d);
  } else if constexpr (std::is_same_v<Op, DivNoNanF>) {
    return o.select(o.cmpf(CmpFPredicate::OEQ, a[1], o.constant(0)), o.constant(0),
                    o.op<arith::DivFOp>(a[0], a[1]));
  } else if constexpr (std::is_same_v<Op, XlogyF>) {
    return o.select(o.cmpf(CmpFPredicate::OEQ, a[0], o.constant(0)), o.constant(0),
                    o.op<arith::MulFOp>(a[0], o.op<math::LogOp>(a[1])));
  } else if constexpr (std::is_same_v<Op, ErfcF>) {
    return build_erfc(b, loc, a[0]);
  } else if constexpr (std::is_same_v<Op, LgammaF>) {
    return build_lgamma(b, loc, a[0]);
  } else if constexpr (std::is_same_v<Op, DigammaF>) {
    return build_digamma(b, loc, a[0]);
  } else if constexpr (std::is_same_v<Op, ZetaF>) {
    return build_zeta(b, loc, a[0], a[1]);
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
  } else if constexpr (std::is_same_v<Op, PowSI> || std::is_same_v<Op, PowUI>) {
    // Repeated squaring over every bit of the exponent, unrolled: branch-free, so vectorisable.
    const unsigned bits = a[0].getType().getIntOrFloatBitWidth();
    Value result = o.constant(1), base = a[0], e = a[1], one = o.constant(1);
    for (unsigned i = 0; i < bits; ++i) {
      Value bit = o.cmpi(CmpIPredicate::ne, o.op<arith::AndIOp>(e, one), o.constant(0));
      result = o.select(bit, o.op<arith::MulIOp>(result, base), result);
      if (i + 1 == bits) break;
      base = o.op<arith::MulIOp>(base, base);
      e = o.op<arith::ShRUIOp>(e, one);
    }
    if constexpr (std::is_same_v<Op, PowSI>) {  // a negative exponent: see pow_ in ops/scalar.h
      Value x = a[0], zero = o.constant(0);
      Value odd = o.cmpi(CmpIPredicate::ne, o.op<arith::AndIOp>(a[1], one), zero);
      Value minus_one = o.constant(-1);
      Value negative = o.select(
          o.cmpi(CmpIPredicate::eq, x, one), one,
          o.select(o.cmpi(CmpIPredicate::eq, x, minus_one), o.select(odd, minus_one, one), zero));
      result = o.select(o.cmpi(CmpIPredicate::slt, a[1], zero), negative, result);
    }
    return result;
  } else {
    return b.create<Op>(loc, a).getResult();
  }
}

}  // namespace scalar

using namespace scalar;

namespace {
constexpr ScalarLowering kUnaryLowerings[] = {
#define TFJIT_UNARY(name, dtypes, result, expr, f, s, u, ...) \
  {#name, builder<f>(), builder<s>(), builder<u>()},
#include "ops/elementwise_ops.def"
};
constexpr ScalarLowering kBinaryLowerings[] = {
#define TFJIT_BINARY(name, dtypes, result, expr, f, s, u, ...) \
  {#name, builder<f>(), builder<s>(), builder<u>()},
#include "ops/elementwise_ops.def"
};
constexpr ReductionLowering kReductionLowerings[] = {
#define TFJIT_REDUCTION(name, dtypes, identity, expr, f, s, u) \
  {#name, identity, builder<f>(), builder<s>(), builder<u>()},
#include "ops/reduction_ops.def"
};

}  // namespace

const ScalarLowering* find_scalar_lowering(std::string_view fn, bool binary) {
  for (const auto& l : binary ? std::span<const ScalarLowering>(kBinaryLowerings)
                              : std::span<const ScalarLowering>(kUnaryLowerings))
    if (l.name == fn) return &l;
  return nullptr;
}

const ReductionLowering* find_reduction_lowering(std::string_view fn) {
  for (const auto& r : kReductionLowerings)
    if (r.name == fn) return &r;
  return nullptr;
}

TypedAttr reduction_identity(mlir::Builder& b, Type type, ReductionIdentity id) {
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

}  // namespace tf::compiler
