// Which GPU reductions run as one block per output (gpu_block_reductions.cpp) rather than as a
// tree of kernels whose threads each walk a short run (split_reductions.cpp). Both passes ask
// here, so a reduction left unsplit at the linalg stage is the one reduced by blocks later.
#pragma once

#include <cstdint>
#include <optional>

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace tf::compiler {

// A reduction along one loop `dim` that is the innermost dimension of every input reading it, so
// each output reduces a row of consecutive elements, with static sizes: `rows` outputs of
// `length` elements each.
struct RowReduction {
  unsigned dim;
  int64_t rows, length;
};
std::optional<RowReduction> row_reduction(mlir::linalg::GenericOp op);

// Whether the GPU reduces `op` (on tensors or buffers) with a block per row: a row reduction whose
// rows are at least a warp long, whose body is straight-line pure code, and whose combiners are
// single ops with neutral elements on types of 8 bits or more. Long rows (more than 16384
// elements) go to blocks only when there are enough rows to fill a large GPU; fewer are split
// first, and the tree's last level (each row's partials) then goes to blocks.
bool reduced_by_blocks(mlir::linalg::GenericOp op);

}  // namespace tf::compiler
