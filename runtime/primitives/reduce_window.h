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

// The gradient of a window max or min (plan.op; plan.out the windows' shape; no dilation):
// `out` (x's shape) is zero except that each window adds g[o] to its first element (row-major
// window order, padding skipped) equal to y[o], its extreme (NaN matching NaN), as TensorFlow's
// MaxPoolGrad routes it (XLA's select-and-scatter).
using SelectAndScatterKernel = void (*)(const void* x, const void* y, const void* g, void* out,
                                        const ReduceWindowPlan& plan);

}  // namespace tf::rt
