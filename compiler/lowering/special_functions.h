// MLIR builders for the special functions of the elementwise table (erfc, lgamma, digamma, zeta):
// one element each, from arith and math ops only, so they vectorise on the CPU and lower to GPU
// kernels alike. The steps mirror ops/special_functions.h where eager code has no libm function.
#pragma once

#include "mlir/IR/Builders.h"

namespace tf::compiler::scalar {

mlir::Value build_erfc(mlir::OpBuilder& b, mlir::Location loc, mlir::Value x);
mlir::Value build_lgamma(mlir::OpBuilder& b, mlir::Location loc, mlir::Value x);
mlir::Value build_digamma(mlir::OpBuilder& b, mlir::Location loc, mlir::Value x);
mlir::Value build_zeta(mlir::OpBuilder& b, mlir::Location loc, mlir::Value s, mlir::Value q);

}  // namespace tf::compiler::scalar
