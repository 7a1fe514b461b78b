// Special functions as arith/math ops (see special_functions.h). Accuracy (float64, against
// libm and mpmath): erfc and zeta about 1e-15 relative; lgamma and digamma about 1e-15 absolute
// near their roots (Lanczos' approximation, as XLA's), 1e-15 relative elsewhere.
#include "compiler/lowering/special_functions.h"

#include <cmath>
#include <span>
#include <vector>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "ops/special_functions.h"

using namespace mlir;
using namespace tf::kernels::special;

namespace tf::compiler::scalar {
namespace {

struct F {  // terse floating-point arithmetic on one element type
  OpBuilder& b;
  Location loc;
  Type type;
  Value c(double v) { return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, v)); }
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value pow(Value x, Value y) { return b.create<math::PowFOp>(loc, x, y); }
  template <class Op>
  Value fn(Value x) {
    return b.create<Op>(loc, x);
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return b.create<arith::CmpFOp>(loc, p, x, y);
  }
  Value lt(Value x, Value y) { return cmp(arith::CmpFPredicate::OLT, x, y); }
  Value eq(Value x, Value y) { return cmp(arith::CmpFPredicate::OEQ, x, y); }
  Value select(Value cond, Value x, Value y) { return b.create<arith::SelectOp>(loc, cond, x, y); }
};

// Runs `build` in float64 on `args` of a narrower type and rounds its result back: Lanczos' and
// Euler-Maclaurin's sums cancel digits (eager code computes them in double too), and erfc keeps
// float32's subnormal tail (libm's erfcf does).
template <class Build>
Value in_float64(OpBuilder& b, Location loc, std::initializer_list<Value> args, Build build) {
  Type type = args.begin()->getType();
  if (type.isF64())
    return build(F{b, loc, type}, std::span<const Value>(args.begin(), args.size()));
  std::vector<Value> wide;
  for (Value v : args) wide.push_back(b.create<arith::ExtFOp>(loc, b.getF64Type(), v));
  Value r = build(F{b, loc, b.getF64Type()}, std::span<const Value>(wide));
  return b.create<arith::TruncFOp>(loc, type, r);
}

// x minus the nearest integer, in [-1/2, 1/2] (centred_fraction in ops/special_functions.h).
Value centred_fraction(F& f, Value x) {
  Value frac = f.sub(x, f.fn<math::FloorOp>(x));
  return f.select(f.lt(f.c(0.5), frac), f.sub(frac, f.c(1)), frac);
}

// The first `n` + 1 Taylor coefficients of erfc about x0: erfc^(k)(x0) / k! with
// erfc^(k)(x) = (-1)^k 2/sqrt(pi) H_(k-1)(x) e^(-x^2) (physicists' Hermite polynomials).
std::vector<double> erfc_taylor(long double x0, int n) {
  std::vector<double> a{static_cast<double>(std::erfc(x0))};
  long double h_prev = 0, h = 1, factorial = 1;  // H_(k-2), H_(k-1)
  const long double scale = 2 / std::sqrt(static_cast<long double>(kPi)) * std::exp(-x0 * x0);
  for (int k = 1; k <= n; ++k) {
    factorial *= k;
    a.push_back(static_cast<double>((k % 2 ? -1 : 1) * scale * h / factorial));
    long double next = 2 * x0 * h - 2 * (k - 1) * h_prev;  // H_k
    h_prev = h;
    h = next;
  }
  return a;
}

}  // namespace

// |x| < 1/2: 1 - erf(x) (no cancellation: erfc >= 0.47). 1/2 <= |x| < 2: Taylor polynomials about
// 0.75, 1.25 and 1.75. |x| >= 2: Laplace's continued fraction. Negative x: 2 - erfc(|x|).
Value build_erfc(OpBuilder& b, Location loc, Value arg) {
  return in_float64(b, loc, {arg}, [](F f, std::span<const Value> args) {
    Value x = args[0];
    const int taylor_terms = 18, fraction_terms = 60;
    Value ax = f.fn<math::AbsFOp>(x);
    Value taylor = f.c(0);
    for (double centre : {0.75, 1.25, 1.75}) {
      std::vector<double> a = erfc_taylor(centre, taylor_terms);
      Value h = f.sub(ax, f.c(centre)), poly = f.c(a.back());
      for (int k = taylor_terms - 1; k >= 0; --k) poly = f.add(f.mul(poly, h), f.c(a[k]));
      taylor = f.select(f.lt(ax, f.c(centre - 0.25)), taylor, poly);
    }
    Value t = f.c(0);
    for (int k = fraction_terms; k >= 1; --k) t = f.div(f.c(k / 2.0), f.add(ax, t));
    Value gauss = f.fn<math::ExpOp>(f.sub(f.c(0), f.mul(ax, ax)));
    Value fraction = f.div(f.mul(gauss, f.c(1 / std::sqrt(kPi))), f.add(ax, t));
    Value positive = f.select(f.lt(ax, f.c(2)), taylor, fraction);
    Value r = f.select(f.lt(x, f.c(0)), f.sub(f.c(2), positive), positive);
    return f.select(f.lt(ax, f.c(0.5)), f.sub(f.c(1), f.fn<math::ErfOp>(x)), r);
  });
}

// Lanczos for x >= 1/2; below, log(pi / |sin(pi x)|) - lgamma(1 - x). +inf at 0, at negative
// integers and at +-inf.
Value build_lgamma(OpBuilder& b, Location loc, Value arg) {
  return in_float64(b, loc, {arg}, [](F f, std::span<const Value> args) {
    Value x = args[0];
    Value reflect = f.lt(x, f.c(0.5));
    Value z = f.sub(f.select(reflect, f.sub(f.c(1), x), x), f.c(1));
    Value a = f.c(lanczos_coefficient(0));
    for (int i = 1; i < kLanczosTerms; ++i)
      a = f.add(a, f.div(f.c(lanczos_coefficient(i)), f.add(z, f.c(i))));
    Value t = f.add(z, f.c(kLanczosG + 0.5));
    Value lg = f.add(f.sub(f.mul(f.add(z, f.c(0.5)), f.fn<math::LogOp>(t)), t),
                     f.add(f.fn<math::LogOp>(a), f.c(0.5 * std::log(2 * kPi))));
    Value sine = f.fn<math::AbsFOp>(f.fn<math::SinOp>(f.mul(f.c(kPi), centred_fraction(f, x))));
    Value reflected = f.sub(f.sub(f.c(std::log(kPi)), f.fn<math::LogOp>(sine)), lg);
    Value r = f.select(reflect, reflected, lg);
    return f.select(f.eq(f.fn<math::AbsFOp>(x), f.c(INFINITY)), f.c(INFINITY), r);
  });
}

// digamma_ in ops/special_functions.h, step by step.
Value build_digamma(OpBuilder& b, Location loc, Value arg) {
  return in_float64(b, loc, {arg}, [](F f, std::span<const Value> args) {
    Value x = args[0];
    Value reflect = f.lt(x, f.c(0.5));
    Value z = f.sub(f.select(reflect, f.sub(f.c(1), x), x), f.c(1));
    Value num = f.c(0), den = f.c(lanczos_coefficient(0));
    for (int i = 1; i < kLanczosTerms; ++i) {
      Value d = f.add(z, f.c(i)), c = f.c(lanczos_coefficient(i));
      num = f.sub(num, f.div(c, f.mul(d, d)));
      den = f.add(den, f.div(c, d));
    }
    Value t = f.add(z, f.c(kLanczosG + 0.5));
    Value r = f.sub(f.add(f.fn<math::LogOp>(t), f.div(num, den)), f.div(f.c(kLanczosG), t));
    Value cot = f.div(f.c(kPi), f.fn<math::TanOp>(f.mul(f.c(kPi), centred_fraction(f, x))));
    r = f.select(reflect, f.sub(r, cot), r);
    Value non_positive_integer = f.b.create<arith::AndIOp>(
        f.loc, f.cmp(arith::CmpFPredicate::OLE, x, f.c(0)), f.eq(x, f.fn<math::FloorOp>(x)));
    return f.select(non_positive_integer, f.c(NAN), r);
  });
}

// zeta_sum in ops/special_functions.h.
Value zeta_sum(F& f, Value s, Value q) {
  Value minus_s = f.sub(f.c(0), s), sum = f.c(0);
  for (int k = 0; k < kZetaDirect; ++k) sum = f.add(sum, f.pow(f.add(q, f.c(k)), minus_s));
  Value w = f.add(q, f.c(kZetaDirect)), a = f.pow(w, minus_s), direct = sum;
  sum = f.add(sum, f.add(f.div(f.mul(w, a), f.sub(s, f.c(1))), f.mul(f.c(0.5), a)));
  Value factor = f.div(s, w), w2 = f.mul(w, w);
  for (int j = 1; j <= kZetaTail; ++j) {
    sum = f.add(sum, f.mul(f.mul(a, factor), f.c(zeta_tail_coefficient(j))));
    factor = f.div(f.mul(factor, f.mul(f.add(s, f.c(2 * j - 1)), f.add(s, f.c(2 * j)))), w2);
  }
  return f.select(f.eq(a, f.c(0)), direct, sum);
}

// zeta_f64 in ops/special_functions.h: its cases as selects, in reverse order of priority.
Value build_zeta(OpBuilder& b, Location loc, Value s_arg, Value q_arg) {
  return in_float64(b, loc, {s_arg, q_arg}, [](F f, std::span<const Value> a) {
    Value s = a[0], q = a[1], inf = f.c(INFINITY), nan = f.c(NAN), zero = f.c(0), one = f.c(1);
    Value positive = f.lt(zero, q);
    Value frac = f.sub(q, f.fn<math::FloorOp>(q));
    Value sign = f.select(f.eq(f.b.create<arith::RemFOp>(f.loc, s, f.c(2)), zero), one, f.c(-1));
    Value negative_q =
        f.add(zeta_sum(f, s, frac),
              f.mul(sign, f.sub(zeta_sum(f, s, f.sub(one, frac)), zeta_sum(f, s, f.sub(one, q)))));
    negative_q = f.select(f.eq(s, f.fn<math::FloorOp>(s)), negative_q, nan);
    Value r = f.select(positive, zeta_sum(f, s, q), negative_q);
    r = f.select(f.eq(q, inf), zero, r);
    r = f.select(f.eq(s, inf), f.select(positive, f.pow(q, f.sub(zero, s)), nan), r);
    Value q_pole = f.b.create<arith::AndIOp>(f.loc, f.cmp(arith::CmpFPredicate::OLE, q, zero),
                                             f.eq(q, f.fn<math::FloorOp>(q)));
    r = f.select(q_pole,
                 f.select(f.eq(f.b.create<arith::RemFOp>(f.loc, s, f.c(2)), zero), inf, nan), r);
    r = f.select(f.lt(s, one), nan, r);
    r = f.select(f.cmp(arith::CmpFPredicate::UNO, s, q), f.add(s, q), r);
    return f.select(f.eq(s, one), inf, r);
  });
}

}  // namespace tf::compiler::scalar
