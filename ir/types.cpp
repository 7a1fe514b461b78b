#include "ir/dialect.h"

namespace tfjit {

mlir::Type element_type(mlir::MLIRContext* ctx, tf::DType dtype) {
  mlir::Builder b(ctx);
  switch (dtype) {
    case tf::float16:
      return b.getF16Type();
    case tf::bfloat16:
      return b.getBF16Type();
    case tf::float32:
      return b.getF32Type();
    case tf::float64:
      return b.getF64Type();
    case tf::int8:
      return b.getIntegerType(8);
    case tf::int16:
      return b.getIntegerType(16);
    case tf::int32:
      return b.getIntegerType(32);
    case tf::int64:
      return b.getIntegerType(64);
    case tf::uint8:
      return b.getIntegerType(8, /*isSigned=*/false);
    case tf::bool_:
      return b.getI1Type();
    case tf::complex64:
      return mlir::ComplexType::get(b.getF32Type());
    case tf::string:
      return {};
  }
  return {};
}

std::optional<tf::DType> dtype_of(mlir::Type t) {
  if (t.isF16()) return tf::float16;
  if (t.isBF16()) return tf::bfloat16;
  if (t.isF32()) return tf::float32;
  if (t.isF64()) return tf::float64;
  if (t.isInteger(1)) return tf::bool_;
  if (t.isUnsignedInteger(8)) return tf::uint8;
  if (t.isSignlessInteger(8)) return tf::int8;
  if (t.isSignlessInteger(16)) return tf::int16;
  if (t.isSignlessInteger(32)) return tf::int32;
  if (t.isSignlessInteger(64)) return tf::int64;
  if (auto c = mlir::dyn_cast<mlir::ComplexType>(t); c && c.getElementType().isF32())
    return tf::complex64;
  return std::nullopt;
}

mlir::LogicalResult verify_tfjit_types(mlir::Operation* op) {
  auto check = [&](mlir::Type type) -> mlir::LogicalResult {
    auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type);
    if (!tensor) return op->emitOpError() << "takes and returns ranked tensors, not " << type;
    std::optional<tf::DType> dtype = dtype_of(tensor.getElementType());
    // uint8 and complex64 exist eagerly but not in compiled code (the graph builder refuses
    // them too).
    if (!dtype || *dtype == tf::uint8 || *dtype == tf::complex64)
      return op->emitOpError() << "element type " << tensor.getElementType()
                               << " is not a dtype compiled code handles";
    return mlir::success();
  };
  for (mlir::Type t : op->getOperandTypes())
    if (mlir::failed(check(t))) return mlir::failure();
  for (mlir::Type t : op->getResultTypes())
    if (mlir::failed(check(t))) return mlir::failure();
  return mlir::success();
}

mlir::RankedTensorType tensor_type(mlir::MLIRContext* ctx, tf::DType dtype,
                                   const tf::TensorShape& shape) {
  std::vector<int64_t> dims;
  for (int64_t d : shape) dims.push_back(d == tf::kUnknownDim ? mlir::ShapedType::kDynamic : d);
  return mlir::RankedTensorType::get(dims, element_type(ctx, dtype));
}

tf::TensorShape shape_of(mlir::ShapedType type) {
  std::vector<int64_t> dims;
  for (int64_t d : type.getShape())
    dims.push_back(mlir::ShapedType::isDynamic(d) ? tf::kUnknownDim : d);
  return tf::TensorShape(std::move(dims));
}

}  // namespace tfjit
