// The sorting family's verifiers and shape rules.
#include "core/dtype_sets.h"
#include "core/shape_rules.h"
#include "ir/dialect.h"

namespace tfjit {

namespace {
tf::TensorShape shape_of_value(mlir::Value v) {
  return shape_of(mlir::cast<mlir::ShapedType>(v.getType()));
}
bool is_i32(mlir::Value v) {
  return mlir::cast<mlir::ShapedType>(v.getType()).getElementType().isInteger(32);
}
}  // namespace

mlir::LogicalResult ArgsortOp::verify() {
  auto x = mlir::cast<mlir::ShapedType>(getX().getType());
  auto dtype = dtype_of(x.getElementType());
  if (!dtype || !tf::core::kNumeric.contains(*dtype))
    return emitOpError() << "cannot sort " << x.getElementType();
  const auto axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= x.getRank())
    return emitOpError() << "axis " << axis << " is not a dim of " << x;
  auto out = mlir::cast<mlir::ShapedType>(getOutput().getType());
  if (!is_i32(getOutput()) || out.getShape() != x.getShape())
    return emitOpError() << "result must be i32 indices of x's shape";
  return mlir::success();
}
tf::core::ShapeRule ArgsortOp::shapeRule() { return tf::core::same_as_first(); }

mlir::LogicalResult TakeAlongAxisOp::verify() {
  if (!is_i32(getIndices())) return emitOpError() << "indices must be i32";
  auto r = tf::core::take_along_axis_shape(shape_of_value(getX()), shape_of_value(getIndices()),
                                           static_cast<int64_t>(getAxis()));
  if (!r.ok()) return emitOpError() << r.error;
  if (mlir::cast<mlir::ShapedType>(getOutput().getType()).getShape() !=
      mlir::cast<mlir::ShapedType>(getIndices().getType()).getShape())
    return emitOpError() << "result should have the indices' shape " << r.shape.to_string();
  return mlir::success();
}
tf::core::ShapeRule TakeAlongAxisOp::shapeRule() {
  return [axis = static_cast<int64_t>(getAxis())](std::span<const tf::TensorShape> operands) {
    return tf::core::take_along_axis_shape(operands[0], operands[1], axis);
  };
}

}  // namespace tfjit
