// tfjit.scatter's verifier and shape rule.
#include "core/shape_rules.h"
#include "ir/dialect.h"
#include "ops/op_info.h"

namespace tfjit {

mlir::LogicalResult ScatterOp::verify() {
  auto operand = mlir::cast<mlir::ShapedType>(getX().getType());
  auto dtype = dtype_of(operand.getElementType());
  if (!dtype) return emitOpError() << "cannot scatter " << operand.getElementType();
  if (getCombiner() != "update") {
    auto op = tf::ops::find_reduce_op(getCombiner().str());
    if (!op) return emitOpError() << "unknown combiner '" << getCombiner() << "'";
    if (!tf::ops::op_info(*op).dtypes.contains(*dtype))
      return emitOpError() << "'" << getCombiner() << "' does not accept "
                           << operand.getElementType();
  }
  auto r = tf::core::scatter_shape(shape_of(operand),
                                   shape_of(mlir::cast<mlir::ShapedType>(getIndices().getType())),
                                   shape_of(mlir::cast<mlir::ShapedType>(getUpdates().getType())));
  if (!r.ok()) return emitOpError() << r.error;
  return mlir::success();
}

tf::core::ShapeRule ScatterOp::shapeRule() {
  return [](std::span<const tf::TensorShape> operands) {
    return tf::core::scatter_shape(operands[0], operands[1], operands[2]);
  };
}

}  // namespace tfjit
