// The tfjit-to-linalg pass's op families (compiler/lowering/tfjit_to_linalg.cpp): one file per
// family in this folder, each defining its ops' lowering patterns and registering them when the
// library loads, so a new primitive's lowering edits no shared list. Also the helpers the
// families share.
#pragma once

#include <optional>

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace tf::compiler::to_linalg {

struct Options {
  bool named_matmul = true;        // matmuls as named linalg ops (GEMM library calls replace them)
  bool parallel_scans = false;     // scans without a loop (CompileOptions::parallel_scans)
  bool host_library_calls = true;  // convolutions, sorts as eager CPU kernel calls (CompileOptions)
  bool device_conv_calls = false;  // convolutions as calls the GPU launch plan runs on cuDNN
  bool device_scatter_calls = false;  // scatters as calls the GPU launch plan runs eagerly
};
// Matmuls are lowered first, while the transposes they fold into flags are still tfjit ops.
enum class Phase { kMatmuls, kOps };
using Populate = void (*)(mlir::RewritePatternSet& patterns, const Options& options);
// Called at load time by each family: `const bool registered = register_patterns(...)`.
bool register_patterns(Phase phase, Populate populate);
// Every registered family's patterns of `phase`.
void populate(Phase phase, mlir::RewritePatternSet& patterns, const Options& options);

using BodyFn = mlir::function_ref<mlir::Value(mlir::OpBuilder&, mlir::Location, mlir::ValueRange)>;

// The run-time sizes of `out`'s dynamic dims, for tensor.empty: dim d is read with tensor.dim
// from the first source whose indexing map (loop dims -> source dims) sends loop dim d to a
// dynamic dim of the source. Empty if some dim has no source (the caller reports it).
std::optional<llvm::SmallVector<mlir::Value>> dynamic_sizes(mlir::OpBuilder& b, mlir::Location loc,
                                                            mlir::RankedTensorType out,
                                                            llvm::ArrayRef<mlir::Value> sources,
                                                            llvm::ArrayRef<mlir::AffineMap> maps);
// A linalg.generic over `out`'s iteration space; `maps` are the inputs' indexing maps. Dynamic
// sizes come from the inputs, then from `size_sources` (operands that only lend sizes). Null if
// a dynamic size has no source.
mlir::Value generic(mlir::OpBuilder& b, mlir::Location loc, mlir::ValueRange inputs,
                    llvm::ArrayRef<mlir::AffineMap> maps, mlir::RankedTensorType out, BodyFn body,
                    llvm::ArrayRef<mlir::Value> size_sources = {},
                    llvm::ArrayRef<mlir::AffineMap> size_maps = {});
// Replaces `op` with `v`, or fails when `generic` found no source for a dynamic size.
mlir::LogicalResult replace_with(mlir::PatternRewriter& rw, mlir::Operation* op, mlir::Value v);
// A call of library function `callee` (C interface; declared once per module) on the buffers of
// `inputs` (read only, as unranked memrefs), then a fresh buffer of type `result` (unranked; its
// dynamic sizes `dynamic`) that the call fills, then `trailing` values. The result is that buffer
// as a tensor (to_tensor restrict writable): bufferization copies neither operands nor result.
mlir::Value call_into_new_buffer(mlir::OpBuilder& b, mlir::Location loc, mlir::ModuleOp module,
                                 llvm::StringRef callee, mlir::ValueRange inputs,
                                 mlir::RankedTensorType result, mlir::ValueRange dynamic,
                                 mlir::ValueRange trailing);
// `values` as a constant memref<?xi64>: the attribute list a library call reads.
mlir::Value i64_list(mlir::OpBuilder& b, mlir::Location loc, llvm::ArrayRef<int64_t> values);
// Groups dims so that each group has exactly one kept dim (dropped dims join the next kept one,
// trailing ones the last); no groups when every dim is dropped. Used to collapse/expand unit dims.
llvm::SmallVector<mlir::ReassociationIndices> unit_dim_groups(llvm::ArrayRef<bool> dropped);

}  // namespace tf::compiler::to_linalg
