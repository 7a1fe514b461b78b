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

// Rows of at least a warp go to blocks. Few long rows would leave most multiprocessors idle, so
// those are split first (the tree's last level, the partials of each row, then goes to blocks).
inline bool reduce_by_blocks(const RowReduction& r) {
  constexpr int64_t kMinLength = 32, kMinRows = 128, kMaxLengthOfFewRows = 16384;
  return r.length >= kMinLength && (r.rows >= kMinRows || r.length <= kMaxLengthOfFewRows);
}

}  // namespace tf::compiler
