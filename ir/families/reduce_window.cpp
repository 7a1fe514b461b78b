// tfjit.reduce_window's verifier and shape rule (core::reduce_window_shape).
#include "core/shape_rules.h"
#include "ir/dialect.h"
#include "ops/op_info.h"

namespace tfjit {

namespace {
std::vector<int64_t> list(llvm::ArrayRef<int64_t> a) { return {a.begin(), a.end()}; }
tf::core::WindowSpec spec_of(ReduceWindowOp op) {
  return {list(op.getWindow()), list(op.getStrides()), list(op.getDilations()),
          list(op.getPaddingLow()), list(op.getPaddingHigh())};
}
}  // namespace

mlir::LogicalResult ReduceWindowOp::verify() {
  auto fn = tf::ops::find_reduce_op(getFn().str());
  if (!fn) return emitOpError() << "unknown function '" << getFn() << "'";
  auto x = mlir::cast<mlir::ShapedType>(getX().getType());
  auto dtype = dtype_of(x.getElementType());
  if (!dtype || !tf::ops::op_info(*fn).dtypes.contains(*dtype))
    return emitOpError() << "'" << getFn() << "' does not accept " << x.getElementType();
  auto out = mlir::cast<mlir::ShapedType>(getType());
  if (out.getElementType() != x.getElementType())
    return emitOpError() << "result element type " << out.getElementType() << " differs from "
                         << x.getElementType();
  auto r = tf::core::reduce_window_shape(shape_of(x), spec_of(*this));
  if (!r.ok()) return emitOpError() << r.error;
  if (r.shape != shape_of(out))
    return emitOpError() << "result should have shape " << r.shape.to_string();
  return mlir::success();
}

tf::core::ShapeRule ReduceWindowOp::shapeRule() {
  return [spec = spec_of(*this)](std::span<const tf::TensorShape> operands) {
    return tf::core::reduce_window_shape(operands[0], spec);
  };
}

}  // namespace tfjit
