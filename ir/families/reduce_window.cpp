// tfjit.reduce_window's and tfjit.select_and_scatter's verifiers and shape rules
// (core::reduce_window_shape).
#include "core/dtype_sets.h"
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

namespace {
tf::core::WindowSpec spec_of(SelectAndScatterOp op) {
  const auto rank = static_cast<size_t>(op.getWindow().size());
  return {list(op.getWindow()), list(op.getStrides()), std::vector<int64_t>(rank, 1),
          list(op.getPaddingLow()), list(op.getPaddingHigh())};
}
// x's shape, once y and g are the windows' shape.
tf::core::ShapeResult scatter_shape(std::span<const tf::TensorShape> operands,
                                    const tf::core::WindowSpec& spec) {
  auto r = tf::core::reduce_window_shape(operands[0], spec);
  if (!r.ok()) return r;
  for (size_t i : {1, 2})
    if (!tf::core::match_shape(r.shape, operands[i]).empty() &&
        !tf::core::match_shape(operands[i], r.shape).empty())
      return {{},
              "the window extremes and their gradient must have the windows' shape " +
                  r.shape.to_string() + ", got " + operands[i].to_string()};
  return {operands[0], {}};
}
tf::TensorShape value_shape(mlir::Value v) {
  return shape_of(mlir::cast<mlir::ShapedType>(v.getType()));
}
}  // namespace

mlir::LogicalResult SelectAndScatterOp::verify() {
  auto dtype = dtype_of(mlir::cast<mlir::ShapedType>(getX().getType()).getElementType());
  if (!dtype || !tf::core::kNumeric.contains(*dtype))
    return emitOpError() << "expects numeric operands";
  std::vector<tf::TensorShape> shapes = {value_shape(getX()), value_shape(getY()),
                                         value_shape(getG())};
  auto r = scatter_shape(shapes, spec_of(*this));
  if (!r.ok()) return emitOpError() << r.error;
  return mlir::success();
}

tf::core::ShapeRule SelectAndScatterOp::shapeRule() {
  return [spec = spec_of(*this)](std::span<const tf::TensorShape> operands) {
    return scatter_shape(operands, spec);
  };
}

tf::core::ShapeRule ReduceWindowOp::shapeRule() {
  return [spec = spec_of(*this)](std::span<const tf::TensorShape> operands) {
    return tf::core::reduce_window_shape(operands[0], spec);
  };
}

}  // namespace tfjit
