// tfjit.random_bits' verifier and shape rule: a static result, or one shaped like `like`.
#include "ir/dialect.h"

namespace tfjit {

mlir::LogicalResult RandomBitsOp::verify() {
  auto type = mlir::cast<mlir::RankedTensorType>(getType());
  if (getLike().size() > 1) return emitOpError() << "takes at most one 'like' operand";
  if (getLike().empty()) {
    if (!type.hasStaticShape())
      return emitOpError() << "needs 'like' for the unknown dims of " << type;
    return mlir::success();
  }
  auto like = mlir::cast<mlir::RankedTensorType>(getLike()[0].getType());
  if (like.getRank() != type.getRank())
    return emitOpError() << "'like' " << like << " and the result " << type << " differ in rank";
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!mlir::ShapedType::isDynamic(type.getDimSize(d)) &&
        !mlir::ShapedType::isDynamic(like.getDimSize(d)) &&
        type.getDimSize(d) != like.getDimSize(d))
      return emitOpError() << "'like' " << like << " and the result " << type << " differ in shape";
  return mlir::success();
}

tf::core::ShapeRule RandomBitsOp::shapeRule() {
  if (getLike().empty()) {
    std::vector<int64_t> dims(mlir::cast<mlir::ShapedType>(getType()).getShape());
    tf::TensorShape shape(std::move(dims));
    return [shape](std::span<const tf::TensorShape>) { return tf::core::ShapeResult{shape, {}}; };
  }
  return [](std::span<const tf::TensorShape> operands) {
    return tf::core::ShapeResult{operands[2], {}};
  };
}

}  // namespace tfjit
