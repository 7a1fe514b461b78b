// The tfjit dialect (generated from TfjitOps.td) and the mapping between tfjit dtypes/shapes
// and MLIR types. Included only by ir/ and compiler/ sources: it pulls in MLIR headers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/shape_rules.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "tfjit/dtype.h"
#include "tfjit/shape.h"

namespace tfjit {
// The TfjitTypes trait (TfjitOps.td): operands and results are ranked tensors whose element
// type is a dtype compiled code handles.
mlir::LogicalResult verify_tfjit_types(mlir::Operation* op);
template <typename ConcreteType>
class TfjitTypes : public mlir::OpTrait::TraitBase<ConcreteType, TfjitTypes> {
 public:
  static mlir::LogicalResult verifyTrait(mlir::Operation* op) { return verify_tfjit_types(op); }
};
// The HostOnly trait: the op runs only in host code (a collective calls its communicator on the
// CPU); a graph holding one is compiled for the CPU even when placed on a GPU.
template <typename ConcreteType>
class HostOnly : public mlir::OpTrait::TraitBase<ConcreteType, HostOnly> {};
}  // namespace tfjit

#include "ir/TfjitDialect.h.inc"
#include "ir/TfjitInterfaces.h.inc"
#define GET_OP_CLASSES
#include "ir/TfjitOps.h.inc"

namespace tfjit {

// The MLIR element type of a dtype; null for dtypes with no MLIR element type (string).
mlir::Type element_type(mlir::MLIRContext* ctx, tf::DType dtype);
std::optional<tf::DType> dtype_of(mlir::Type element_type);
mlir::RankedTensorType tensor_type(mlir::MLIRContext* ctx, tf::DType dtype,
                                   const tf::TensorShape& shape);
tf::TensorShape shape_of(mlir::ShapedType type);
// tfjit.print's format split at each "{}" (literal braces doubled): one more piece than
// placeholders; nullopt when a brace is unpaired.
std::optional<std::vector<std::string>> split_print_format(llvm::StringRef format);

}  // namespace tfjit
