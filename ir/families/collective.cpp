// The collectives family's verifier and shape rule.
#include "core/dtype_sets.h"
#include "core/shape_rules.h"
#include "ir/dialect.h"

namespace tfjit {

mlir::LogicalResult AllReduceOp::verify() {
  auto x = mlir::cast<mlir::ShapedType>(getX().getType());
  auto dtype = dtype_of(x.getElementType());
  if (!dtype || !tf::core::kNumeric.contains(*dtype))
    return emitOpError() << "cannot all-reduce " << x.getElementType();
  if (getReduceOp() > 3)
    return emitOpError() << "reduce_op " << getReduceOp()
                         << " is not sum (0), mean (1), max (2) or min (3)";
  if (getGroup() == 0) return emitOpError() << "group " << getGroup() << " names no communicator";
  return mlir::success();
}
tf::core::ShapeRule AllReduceOp::shapeRule() { return tf::core::same_as_first(); }

}  // namespace tfjit
