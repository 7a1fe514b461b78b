// Scalar MLIR builders for the elementwise op table: for each op and dtype class, the function
// that computes one element inside a linalg.generic body. Composite columns of the table
// (NegI, SquareF, ...) are defined here; plain MLIR ops need nothing.
#pragma once

#include <string_view>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

namespace tf::compiler {

using ScalarBuilder = mlir::Value (*)(mlir::OpBuilder&, mlir::Location, mlir::ValueRange);

namespace scalar {

// Composite columns of the table. Each computes exactly what the eager scalar expression does.
struct None {};
struct NegI {};
struct NotI {};
struct SquareF {};
struct SquareI {};
struct ReciprocalF {};
struct SignF {};
struct SignI {};
struct ReluF {};
struct ReluI {};
struct ReluGradF {};
struct ReluGradI {};
struct SigmoidF {};
struct SoftplusF {};
struct Log1pF {};
struct Expm1F {};
struct Relu6F {};
struct Relu6I {};
struct EluF {};
struct SeluF {};
struct GeluF {};
struct GeluTanhF {};
struct SiluF {};
struct SoftsignF {};
struct LogSigmoidF {};
struct HardSigmoidF {};
struct MaximumF {};
struct MinimumF {};
struct SquaredDifferenceF {};
struct SquaredDifferenceI {};
struct DivNoNanF {};
struct XlogyF {};
struct ErfcF {};  // the special functions: special_functions.h
struct LgammaF {};
struct DigammaF {};
struct ZetaF {};
struct IsNanF {};
struct IsInfF {};
struct IsFiniteF {};
struct FloorDivF {};
struct PowSI {};
struct PowUI {};
struct FloorDivSI {};
struct FloorDivUI {};
struct FloorModF {};
struct FloorModSI {};
struct FloorModUI {};
template <mlir::arith::CmpFPredicate P>
struct CmpF {};
template <mlir::arith::CmpIPredicate P>
struct CmpI {};

// Builds one element of op `Op` from `args`: a plain MLIR op, or a composite (defined in
// tfjit_to_linalg.cpp).
template <class Op>
struct Builder {
  static mlir::Value build(mlir::OpBuilder& b, mlir::Location loc, mlir::ValueRange args);
};
template <mlir::arith::CmpFPredicate P>
struct Builder<CmpF<P>> {
  static mlir::Value build(mlir::OpBuilder& b, mlir::Location loc, mlir::ValueRange a) {
    return b.create<mlir::arith::CmpFOp>(loc, P, a[0], a[1]);
  }
};
template <mlir::arith::CmpIPredicate P>
struct Builder<CmpI<P>> {
  static mlir::Value build(mlir::OpBuilder& b, mlir::Location loc, mlir::ValueRange a) {
    return b.create<mlir::arith::CmpIOp>(loc, P, a[0], a[1]);
  }
};
template <class Op>
constexpr ScalarBuilder builder() {
  if constexpr (std::is_same_v<Op, None>)
    return nullptr;
  else
    return &Builder<Op>::build;
}

}  // namespace scalar

struct ScalarLowering {
  std::string_view name;
  ScalarBuilder float_op, signed_op, unsigned_op;
};

// The lowering of elementwise function `fn` (tfjit.unary/binary's `fn`); null if unknown.
const ScalarLowering* find_scalar_lowering(std::string_view fn, bool binary);

// Reductions: the accumulator's initial value and the combine step (acc, x) -> acc.
enum ReductionIdentity { Zero, One, Lowest, Highest, False, True };
struct ReductionLowering {
  std::string_view name;
  ReductionIdentity identity;
  ScalarBuilder float_op, signed_op, unsigned_op;
};
const ReductionLowering* find_reduction_lowering(std::string_view fn);

// A lowering's builder for element type `elem`: float, unsigned, or signless/signed integer
// (null where the table has none).
template <class Lowering>
ScalarBuilder builder_for(const Lowering& l, mlir::Type elem) {
  return mlir::isa<mlir::FloatType>(elem) ? l.float_op
         : elem.isUnsignedInteger()       ? l.unsigned_op
                                          : l.signed_op;
}
mlir::TypedAttr reduction_identity(mlir::Builder& b, mlir::Type type, ReductionIdentity id);

}  // namespace tf::compiler
