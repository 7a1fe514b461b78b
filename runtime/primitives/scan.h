// The scan primitive's kernels (the cumulative ops of ops/scan_ops.def), registered under
// ops::Primitive::scan for each dtype.
#pragma once

#include <cstdint>

#include "ops/op_info.h"

namespace tf::rt {

// A scan of `op`'s combiner along the middle axis of an (outer, n, inner) view of a contiguous
// tensor: out[o, i, k] combines x[o, j, k] for j <= i (j >= i when reverse; strictly when
// exclusive, where out starts at the combiner's identity).
struct ScanPlan {
  int64_t outer, n, inner;
  ops::ScanOp op;
  bool exclusive, reverse;
};
using ScanKernel = void (*)(const void* x, void* out, const ScanPlan& plan);

}  // namespace tf::rt
