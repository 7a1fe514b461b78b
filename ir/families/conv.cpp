// The convolution family's verifiers and shape rules (core/conv_shapes.cpp).
#include "core/dtype_sets.h"
#include "core/shape_rules.h"
#include "ir/dialect.h"

namespace tfjit {

namespace {

std::vector<int64_t> list(llvm::ArrayRef<int64_t> a) { return {a.begin(), a.end()}; }

template <class Op>
tf::core::ConvSpec spec_of(Op op) {
  return {list(op.getStrides()), list(op.getDilations()), list(op.getPaddingLow()),
          list(op.getPaddingHigh()), static_cast<int64_t>(op.getGroups())};
}

// Float element types (the kernels' dtypes), and the result the shape rule gives.
template <class Op>
mlir::LogicalResult verify_conv(Op op, const tf::core::ShapeResult& r) {
  auto elem = mlir::cast<mlir::ShapedType>(op.getType()).getElementType();
  auto dtype = dtype_of(elem);
  if (!dtype || !tf::core::kFloat.contains(*dtype))
    return op.emitOpError() << "expects float operands, got " << elem;
  if (!r.ok()) return op.emitOpError() << r.error;
  if (tf::core::match_shape(r.shape, shape_of(mlir::cast<mlir::ShapedType>(op.getType()))) != "")
    return op.emitOpError() << "result should have shape " << r.shape.to_string();
  return mlir::success();
}

tf::TensorShape operand_shape(mlir::Value v) {
  return shape_of(mlir::cast<mlir::ShapedType>(v.getType()));
}

}  // namespace

mlir::LogicalResult ConvOp::verify() {
  return verify_conv(*this, tf::core::conv_shape(operand_shape(getLhs()), operand_shape(getRhs()),
                                                 spec_of(*this)));
}
tf::core::ShapeRule ConvOp::shapeRule() {
  return [spec = spec_of(*this)](std::span<const tf::TensorShape> operands) {
    return tf::core::conv_shape(operands[0], operands[1], spec);
  };
}

mlir::LogicalResult ConvBackpropInputOp::verify() {
  return verify_conv(*this, tf::core::conv_backprop_input_shape(
                                operand_shape(getLhs()), operand_shape(getRhs()),
                                tf::TensorShape(list(getInputShape())), spec_of(*this)));
}
tf::core::ShapeRule ConvBackpropInputOp::shapeRule() {
  return [spec = spec_of(*this), input = tf::TensorShape(list(getInputShape()))](
             std::span<const tf::TensorShape> operands) {
    return tf::core::conv_backprop_input_shape(operands[0], operands[1], input, spec);
  };
}

mlir::LogicalResult ConvBackpropFilterOp::verify() {
  return verify_conv(*this, tf::core::conv_backprop_filter_shape(
                                operand_shape(getLhs()), operand_shape(getRhs()),
                                tf::TensorShape(list(getFilterShape())), spec_of(*this)));
}
tf::core::ShapeRule ConvBackpropFilterOp::shapeRule() {
  return [spec = spec_of(*this), filter = tf::TensorShape(list(getFilterShape()))](
             std::span<const tf::TensorShape> operands) {
    return tf::core::conv_backprop_filter_shape(operands[0], operands[1], filter, spec);
  };
}

llvm::ArrayRef<llvm::StringRef> FusedConvOp::activations() {
  static const llvm::StringRef names[] = {"relu",    "relu6", "elu",       "tanh",
                                          "sigmoid", "gelu",  "gelu_tanh", "silu"};
  return names;
}

mlir::LogicalResult FusedConvOp::verify() {
  if (mlir::failed(verify_conv(
          *this,
          tf::core::conv_shape(operand_shape(getLhs()), operand_shape(getRhs()), spec_of(*this)))))
    return mlir::failure();
  auto out = mlir::cast<mlir::ShapedType>(getType());
  if (getBias()) {
    auto bias = mlir::cast<mlir::ShapedType>(getBias().getType());
    const int64_t channels = out.getDimSize(out.getRank() - 1);
    if (bias.getElementType() != out.getElementType() || bias.getRank() != 1 ||
        bias.getDimSize(0) != channels)
      return emitOpError() << "expects a bias of " << channels << " " << out.getElementType()
                           << ", got " << bias;
  }
  if (getResidual() && getResidual().getType() != getType())
    return emitOpError() << "expects a residual of the result's type " << getType() << ", got "
                         << getResidual().getType();
  if (!getActivation().empty() && !llvm::is_contained(activations(), getActivation()))
    return emitOpError() << "has no fused activation '" << getActivation() << "'";
  return mlir::success();
}
tf::core::ShapeRule FusedConvOp::shapeRule() {
  return [spec = spec_of(*this)](std::span<const tf::TensorShape> operands) {
    return tf::core::conv_shape(operands[0], operands[1], spec);
  };
}

}  // namespace tfjit
