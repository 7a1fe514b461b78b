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
struct None {};
struct NegI {};
struct SquareF {};
struct SquareI {};

template <class Op>
mlir::Value build(mlir::OpBuilder& b, mlir::Location loc, mlir::ValueRange args) {
  if constexpr (std::is_same_v<Op, NegI>) {
    auto zero = b.create<mlir::arith::ConstantOp>(loc, b.getZeroAttr(args[0].getType()));
    return b.create<mlir::arith::SubIOp>(loc, zero, args[0]);
  } else if constexpr (std::is_same_v<Op, SquareF>) {
    return b.create<mlir::arith::MulFOp>(loc, args[0], args[0]);
  } else if constexpr (std::is_same_v<Op, SquareI>) {
    return b.create<mlir::arith::MulIOp>(loc, args[0], args[0]);
  } else {
    return b.create<Op>(loc, args).getResult();
  }
}
template <class Op>
constexpr ScalarBuilder builder() {
  if constexpr (std::is_same_v<Op, None>)
    return nullptr;
  else
    return &build<Op>;
}
}  // namespace scalar

struct ScalarLowering {
  std::string_view name;
  ScalarBuilder float_op, signed_op, unsigned_op;
};

// The lowering of elementwise function `fn` (tfjit.unary/binary's `fn`); null if unknown.
const ScalarLowering* find_scalar_lowering(std::string_view fn, bool binary);

}  // namespace tf::compiler
