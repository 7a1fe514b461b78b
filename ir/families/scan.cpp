// tfjit.scan's verifier and shape rule.
#include "ir/dialect.h"
#include "ops/op_info.h"

namespace tfjit {

mlir::LogicalResult ScanOp::verify() {
  auto op = tf::ops::find_scan_op(getFn().str());
  if (!op) return emitOpError() << "unknown function '" << getFn() << "'";
  auto x = mlir::cast<mlir::ShapedType>(getX().getType());
  const auto axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= x.getRank())
    return emitOpError() << "axis " << axis << " is out of range for " << x;
  auto dtype = dtype_of(x.getElementType());
  if (!dtype || !tf::ops::op_info(*op).dtypes.contains(*dtype))
    return emitOpError() << "'" << getFn() << "' does not accept " << x.getElementType();
  return mlir::success();
}

tf::core::ShapeRule ScanOp::shapeRule() { return tf::core::same_as_first(); }

}  // namespace tfjit
