// Verifiers, folders and result-type inference of the tfjit dialect. Shape logic comes from
// core/shape_rules.h, the same rules eager execution applies.
#include "ir/dialect.h"

#include <limits>
#include <string_view>

#include "core/dtype_sets.h"
#include "core/shape_rules.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

#include "ir/TfjitDialect.cpp.inc"
#include "ir/TfjitInterfaces.cpp.inc"
#define GET_OP_CLASSES
#include "ir/TfjitOps.cpp.inc"

namespace tfjit {

void TfjitDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/TfjitOps.cpp.inc"
      >();
}

namespace {

struct TableEntry {
  std::string_view name;
  tf::core::DTypeSet dtypes;
  bool bool_result;
};
constexpr bool kSameResult = false, kBoolResult = true;  // the table's result column
using namespace tf::core;                                // the table's dtype sets
constexpr TableEntry kUnary[] = {
#define TFJIT_UNARY(name, dtypes, result, ...) {#name, dtypes, k##result##Result},
#include "ops/elementwise_ops.def"
};
constexpr TableEntry kBinary[] = {
#define TFJIT_BINARY(name, dtypes, result, ...) {#name, dtypes, k##result##Result},
#include "ops/elementwise_ops.def"
};

constexpr TableEntry kReductions[] = {
#define TFJIT_REDUCTION(name, dtypes, ...) {#name, dtypes, kSameResult},
#include "ops/reduction_ops.def"
};

// The table entry named `fn` that accepts `input`'s element type, or a diagnostic.
template <size_t N>
FailureOr<const TableEntry*> find_entry(Operation* op, StringRef fn, Type input,
                                        const TableEntry (&table)[N]) {
  auto elem = cast<ShapedType>(input).getElementType();
  for (const auto& e : table) {
    if (e.name != std::string_view(fn.data(), fn.size())) continue;
    auto dtype = dtype_of(elem);
    if (!dtype || !e.dtypes.contains(*dtype))
      return op->emitOpError() << "'" << fn << "' does not support element type " << elem
                               << " (supported: " << e.dtypes.to_string() << ")";
    return &e;
  }
  return op->emitOpError() << "unknown function '" << fn << "'";
}

// Elementwise ops: the result has the input's shape and its element type, or i1.
template <size_t N>
LogicalResult verify_fn(Operation* op, StringRef fn, Type input, Type result,
                        const TableEntry (&table)[N]) {
  auto entry = find_entry(op, fn, input, table);
  if (failed(entry)) return failure();
  auto in = cast<ShapedType>(input), out = cast<ShapedType>(result);
  Type want =
      (*entry)->bool_result ? Type(IntegerType::get(op->getContext(), 1)) : in.getElementType();
  if (out.getShape() != in.getShape() || out.getElementType() != want)
    return op->emitOpError() << "'" << fn << "' of " << input << " must produce "
                             << RankedTensorType::get(in.getShape(), want) << ", not " << result;
  return success();
}

// A tensor type from a shape-rule result (its unknown dims become dynamic).
RankedTensorType ranked(const tf::TensorShape& shape, Type element) {
  SmallVector<int64_t> dims;
  for (int64_t d : shape) dims.push_back(d == tf::kUnknownDim ? ShapedType::kDynamic : d);
  return RankedTensorType::get(dims, element);
}

LogicalResult emit_shape_error(std::optional<Location> loc, StringRef op,
                               const std::string& error) {
  if (loc) emitError(*loc) << "'" << op << "' " << error;
  return failure();
}

}  // namespace

LogicalResult UnaryOp::verify() {
  return verify_fn(*this, getFn(), getX().getType(), getType(), kUnary);
}
LogicalResult BinaryOp::verify() {
  return verify_fn(*this, getFn(), getX().getType(), getType(), kBinary);
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

// LLVM holds a global's dims in 32-bit sizes and aborts the process past them, even for a
// constant of no elements; tracing passes such tensors as arguments instead.
LogicalResult ConstantOp::verify() {
  for (int64_t d : cast<ShapedType>(getType()).getShape())
    if (d > std::numeric_limits<int32_t>::max())
      return emitOpError() << "dimension " << d
                           << " is too large for a constant (at most 2^31 - 1); pass the "
                              "tensor as an argument";
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto in = cast<ShapedType>(getX().getType()), out = cast<ShapedType>(getType());
  if (in.getElementType() != out.getElementType()) return emitOpError("changes the element type");
  if (!tf::core::broadcastable_to(shape_of(in), shape_of(out)))
    return emitOpError() << "cannot broadcast " << in << " to " << out;
  // Every dynamic result dim needs a dynamic operand dim to take its run-time size from.
  for (int64_t i = 0; i < out.getRank(); ++i) {
    if (!out.isDynamicDim(i)) continue;
    bool sourced = false;
    for (Value v : getOperands()) {
      auto t = cast<ShapedType>(v.getType());
      int64_t j = i - (out.getRank() - t.getRank());
      sourced = sourced || (j >= 0 && t.isDynamicDim(j));
    }
    if (!sourced)
      return emitOpError() << "dynamic result dimension " << i
                           << " has no dynamic operand dimension to take its size from";
  }
  return success();
}
OpFoldResult BroadcastToOp::fold(FoldAdaptor) {
  return getX().getType() == getType() ? getX() : OpFoldResult();
}

LogicalResult CastOp::verify() {
  if (cast<ShapedType>(getX().getType()).getShape() != cast<ShapedType>(getType()).getShape())
    return emitOpError("changes the shape");
  return success();
}
OpFoldResult CastOp::fold(FoldAdaptor) {
  return getX().getType() == getType() ? getX() : OpFoldResult();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext*, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties,
                                         RegionRange, SmallVectorImpl<Type>& results) {
  auto a = cast<ShapedType>(operands[0].getType()), b = cast<ShapedType>(operands[1].getType());
  if (a.getElementType() != b.getElementType())
    return emit_shape_error(loc, "tfjit.matmul", "operands have different element types");
  auto r = tf::core::matmul_shape(shape_of(a), shape_of(b));
  if (!r.ok()) return emit_shape_error(loc, "tfjit.matmul", r.error);
  results.push_back(ranked(r.shape, a.getElementType()));
  return success();
}

LogicalResult ReduceOp::verify() {
  return success(succeeded(find_entry(*this, getFn(), getX().getType(), kReductions)));
}

LogicalResult SelectOp::verify() {
  if (cast<ShapedType>(getCond().getType()).getShape() != cast<ShapedType>(getType()).getShape())
    return emitOpError("condition and values differ in shape");
  return success();
}

LogicalResult ReduceOp::inferReturnTypes(MLIRContext*, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties properties, RegionRange,
                                         SmallVectorImpl<Type>& results) {
  auto x = cast<ShapedType>(operands[0].getType());
  ReduceOp::Adaptor adaptor(operands, attrs, properties);
  std::vector<int64_t> axes(adaptor.getAxes().begin(), adaptor.getAxes().end());
  auto norm = tf::core::normalize_axes(axes, x.getRank());
  if (!norm.error.empty()) return emit_shape_error(loc, "tfjit.reduce", norm.error);
  if (norm.axes != axes)
    return emit_shape_error(loc, "tfjit.reduce", "axes must be sorted, unique and non-negative");
  auto shape = tf::core::reduce_shape(shape_of(x), norm.axes, adaptor.getKeepdims());
  results.push_back(ranked(shape, x.getElementType()));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<ShapedType>(getX().getType()), out = cast<ShapedType>(getType());
  if (in.getElementType() != out.getElementType()) return emitOpError("changes the element type");
  if (auto like_dims = getLikeDims()) {
    std::vector<tf::TensorShape> like;
    for (Value v : getLike()) like.push_back(shape_of(cast<ShapedType>(v.getType())));
    auto r = tf::core::reshape_like_shape(shape_of(in), shape_of(out), *like_dims, like);
    if (!r.ok()) return emitOpError() << r.error;
    if (r.shape.is_fully_defined() && shape_of(out) != r.shape)
      return emitOpError() << "result must be "
                           << tensor_type(getContext(), *dtype_of(in.getElementType()), r.shape);
    return success();
  }
  if (!getLike().empty()) return emitOpError("has like operands but no like_dims");
  if (in.hasStaticShape() && out.hasStaticShape() && in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << in << " into " << out << ": element counts differ";
  if (out.getNumDynamicDims() > 1 && !tf::core::unit_dim_reshape(shape_of(in), shape_of(out)))
    return emitOpError() << "cannot reshape " << in << " into " << out
                         << ": several dynamic dims need a reshape that only adds or removes 1s";
  return success();
}
OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  // With like operands, (?, ?) -> (?, ?) may move elements between rows.
  return getX().getType() == getType() && getLike().empty() ? getX() : OpFoldResult();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext*, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties properties, RegionRange,
                                            SmallVectorImpl<Type>& results) {
  auto x = cast<ShapedType>(operands[0].getType());
  TransposeOp::Adaptor adaptor(operands, attrs, properties);
  std::vector<int64_t> perm(adaptor.getPerm().begin(), adaptor.getPerm().end());
  if (perm.empty() && x.getRank() > 0)
    return emit_shape_error(loc, "tfjit.transpose", "perm is empty");
  auto r = tf::core::transpose_shape(shape_of(x), perm);
  if (!r.error.empty()) return emit_shape_error(loc, "tfjit.transpose", r.error);
  results.push_back(ranked(r.shape, x.getElementType()));
  return success();
}

// A transpose of a transpose is one transpose (attention's backward pass transposes kᵀ back);
// the identity permutation is no op.
OpFoldResult TransposeOp::fold(FoldAdaptor) {
  bool composed = false;
  if (auto inner = getX().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> perm;
    for (int64_t p : getPerm()) perm.push_back(inner.getPerm()[p]);
    setPerm(perm);
    getXMutable().assign(inner.getX());
    composed = true;
  }
  ArrayRef<int64_t> perm = getPerm();
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return composed ? getResult() : OpFoldResult();
  return getX();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext*, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties properties, RegionRange,
                                         SmallVectorImpl<Type>& results) {
  if (operands.empty()) return emit_shape_error(loc, "tfjit.concat", "needs at least one tensor");
  ConcatOp::Adaptor adaptor(operands, attrs, properties);
  auto first = cast<ShapedType>(operands[0].getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return emit_shape_error(loc, "tfjit.concat", "axis out of range");
  std::vector<tf::TensorShape> shapes;
  for (Value v : operands) {
    auto t = cast<ShapedType>(v.getType());
    if (t.getElementType() != first.getElementType())
      return emit_shape_error(loc, "tfjit.concat", "operands have different element types");
    shapes.push_back(shape_of(t));
  }
  auto r = tf::core::concat_shape(shapes, axis);
  if (!r.ok()) return emit_shape_error(loc, "tfjit.concat", r.error);
  results.push_back(ranked(r.shape, first.getElementType()));
  return success();
}

LogicalResult UnconcatOp::verify() {
  auto x = cast<ShapedType>(getX().getType()), out = cast<ShapedType>(getType());
  if (x.getElementType() != out.getElementType()) return emitOpError("changes the element type");
  std::vector<tf::TensorShape> parts;
  for (Value p : getParts()) parts.push_back(shape_of(cast<ShapedType>(p.getType())));
  auto r = tf::core::unconcat_shape(shape_of(x), parts, getAxis(), getIndex());
  if (!r.ok()) return emitOpError() << r.error;
  if (shape_of(out) != r.shape)
    return emitOpError() << "result must be "
                         << tensor_type(getContext(), *dtype_of(x.getElementType()), r.shape);
  return success();
}

LogicalResult SliceOp::verify() {
  auto in = cast<ShapedType>(getX().getType()), out = cast<ShapedType>(getType());
  if (in.getElementType() != out.getElementType()) return emitOpError("changes the element type");
  if (in.getRank() != out.getRank()) return emitOpError("changes the rank");
  auto r = tf::core::slice_shape(shape_of(in), getStart(), getSize(), getStride());
  if (!r.ok()) return emitOpError() << r.error;
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (out.getDimSize(d) != (r.shape[d] == tf::kUnknownDim ? ShapedType::kDynamic : r.shape[d]))
      return emitOpError() << "result dimension " << d << " must be "
                           << (r.shape[d] == tf::kUnknownDim ? "?" : std::to_string(r.shape[d]));
  return success();
}

LogicalResult GatherOp::verify() {
  auto params = cast<ShapedType>(getParams().getType()),
       indices = cast<ShapedType>(getIndices().getType());
  auto out = cast<ShapedType>(getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= params.getRank())
    return emitOpError() << "axis " << axis << " out of range for " << params;
  auto shape = tf::core::gather_shape(shape_of(params), shape_of(indices), axis);
  if (shape_of(out) != shape || out.getElementType() != params.getElementType())
    return emitOpError() << "result must be "
                         << tensor_type(getContext(), *dtype_of(params.getElementType()), shape);
  return success();
}

LogicalResult ArgReduceOp::verify() {
  if (getFn() != "argmax" && getFn() != "argmin")
    return emitOpError() << "unknown function '" << getFn() << "'";
  auto x = cast<ShapedType>(getX().getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= x.getRank() || x.getDimSize(axis) == 0)
    return emitOpError() << "axis " << axis << " is out of range or empty for " << x;
  SmallVector<int64_t> dims(x.getShape());
  dims.erase(dims.begin() + axis);
  if (cast<ShapedType>(getType()).getShape() != ArrayRef<int64_t>(dims))
    return emitOpError() << "result shape must drop axis " << axis;
  return success();
}

std::optional<std::vector<std::string>> split_print_format(llvm::StringRef format) {
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    char next = i + 1 < format.size() ? format[i + 1] : '\0';
    if (c == '{' && next == '}') {
      pieces.emplace_back();
    } else if ((c == '{' || c == '}') && next == c) {
      pieces.back() += c;
    } else if (c == '{' || c == '}') {
      return std::nullopt;
    } else {
      pieces.back() += c;
      continue;
    }
    ++i;
  }
  return pieces;
}

LogicalResult PrintOp::verify() {
  auto pieces = split_print_format(getFormat());
  if (!pieces) return emitOpError() << "format has an unpaired brace";
  if (pieces->size() != getInputs().size() + 1)
    return emitOpError() << "format has " << pieces->size() - 1 << " placeholders for "
                         << getInputs().size() << " inputs";
  return success();
}

// --- Shape rules (ShapeRuleOpInterface): core's rules bound to each op's attributes ----------

namespace {
std::vector<tf::TensorShape> traced_shapes(mlir::ValueRange values) {
  std::vector<tf::TensorShape> shapes;
  for (Value v : values) shapes.push_back(shape_of(cast<ShapedType>(v.getType())));
  return shapes;
}
tf::core::ShapeRule reduce_rule(std::vector<int64_t> axes, bool keepdims) {
  return [axes = std::move(axes), keepdims](std::span<const tf::TensorShape> operands) {
    return tf::core::ShapeResult{tf::core::reduce_shape(operands[0], axes, keepdims), {}};
  };
}
}  // namespace

tf::core::ShapeRule UnaryOp::shapeRule() { return tf::core::same_as_first(); }
tf::core::ShapeRule CastOp::shapeRule() { return tf::core::same_as_first(); }
tf::core::ShapeRule BinaryOp::shapeRule() {
  return tf::core::all_equal(traced_shapes(getOperands()));
}
tf::core::ShapeRule SelectOp::shapeRule() {
  return tf::core::all_equal(traced_shapes(getOperands()));
}
tf::core::ShapeRule BroadcastToOp::shapeRule() {
  return tf::core::broadcast_to(shape_of(cast<ShapedType>(getType())),
                                traced_shapes(getOperands()));
}
tf::core::ShapeRule MatmulOp::shapeRule() {
  return [](std::span<const tf::TensorShape> operands) {
    return tf::core::matmul_shape(operands[0], operands[1]);
  };
}
tf::core::ShapeRule ReduceOp::shapeRule() {
  return reduce_rule(std::vector<int64_t>(getAxes().begin(), getAxes().end()), getKeepdims());
}
// The reduced axis must not be empty at the call: its first element seeds the search.
tf::core::ShapeRule ArgReduceOp::shapeRule() {
  return [axis = static_cast<int64_t>(getAxis()),
          fn = getFn().str()](std::span<const tf::TensorShape> operands) {
    if (operands[0][axis] == 0)
      return tf::core::ShapeResult{
          {},
          fn + ": axis " + std::to_string(axis) + " of " + operands[0].to_string() + " is empty"};
    return tf::core::ShapeResult{tf::core::reduce_shape(operands[0], {axis}, false), {}};
  };
}
tf::core::ShapeRule SliceOp::shapeRule() {
  return [start = std::vector<int64_t>(getStart()), size = std::vector<int64_t>(getSize()),
          stride = std::vector<int64_t>(getStride())](std::span<const tf::TensorShape> operands) {
    return tf::core::slice_shape(operands[0], start, size, stride);
  };
}
tf::core::ShapeRule GatherOp::shapeRule() {
  return [axis = static_cast<int64_t>(getAxis())](std::span<const tf::TensorShape> operands) {
    return tf::core::ShapeResult{tf::core::gather_shape(operands[0], operands[1], axis), {}};
  };
}
tf::core::ShapeRule ConcatOp::shapeRule() {
  return [axis = static_cast<int64_t>(getAxis())](std::span<const tf::TensorShape> operands) {
    return tf::core::concat_shape({operands.begin(), operands.end()}, axis);
  };
}
tf::core::ShapeRule UnconcatOp::shapeRule() {
  return [axis = static_cast<int64_t>(getAxis()),
          index = static_cast<int64_t>(getIndex())](std::span<const tf::TensorShape> operands) {
    return tf::core::unconcat_shape(operands[0], {operands.begin() + 1, operands.end()}, axis,
                                    index);
  };
}
tf::core::ShapeRule TransposeOp::shapeRule() {
  return [perm = std::vector<int64_t>(getPerm().begin(), getPerm().end())](
             std::span<const tf::TensorShape> operands) {
    auto r = tf::core::transpose_shape(operands[0], perm);
    return tf::core::ShapeResult{r.shape, r.error};
  };
}
// The traced result's dims, one of which may be -1 (inferred from the element count); several
// only in a reshape that adds or removes 1s, whose unknown dims are copied from the input's.
tf::core::ShapeRule ReshapeOp::shapeRule() {
  auto traced_in = shape_of(cast<ShapedType>(getX().getType()));
  auto traced_out = shape_of(cast<ShapedType>(getType()));
  if (auto like_dims = getLikeDims()) {
    return [traced_out, like_dims = std::vector<int64_t>(*like_dims)](
               std::span<const tf::TensorShape> operands) {
      return tf::core::reshape_like_shape(operands[0], traced_out, like_dims, operands.subspan(1));
    };
  }
  if (auto source = tf::core::unit_dim_reshape(traced_in, traced_out);
      source && !traced_out.is_fully_defined()) {
    return [source = *source](std::span<const tf::TensorShape> operands) {
      std::vector<int64_t> dims;
      for (int64_t s : source) dims.push_back(s < 0 ? 1 : operands[0][s]);
      return tf::core::ShapeResult{tf::TensorShape(std::move(dims)), {}};
    };
  }
  return [requested = traced_out.dims()](std::span<const tf::TensorShape> operands) {
    return tf::core::reshape_shape(operands[0], requested);
  };
}

}  // namespace tfjit
