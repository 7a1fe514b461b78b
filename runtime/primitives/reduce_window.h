// The reduce_window primitive's kernels (pooling), registered under ops::Primitive::reduce_window
// for each dtype.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/op_info.h"

namespace tf::rt {

// Output element o combines, with `op`'s combiner starting from its identity, the input elements
// at positions o * strides + k - low (k in [0, window)) of the input dilated by `dilations`;
// positions in the padding or between dilated elements contribute the identity.
struct ReduceWindowPlan {
  std::vector<int64_t> in, out, window, strides, dilations, low;
  ops::ReduceOp op;
};
using ReduceWindowKernel = void (*)(const void* x, void* out, const ReduceWindowPlan& plan);

}  // namespace tf::rt
